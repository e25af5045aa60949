def migrate(cr, version):
    """llm_mcp_key_usage was a bare table (key_id primary key) until 18.0.1.1.0, when the model
    llm.mcp.key.usage took it over. Its rows are only "last used" times, so the old table is dropped and the
    ORM creates the model's own; keys show their last use again from their next request."""
    cr.execute("""
        SELECT 1 FROM information_schema.columns WHERE table_name = 'llm_mcp_key_usage' AND column_name = 'id'
    """)
    if not cr.fetchone():
        cr.execute("DROP TABLE IF EXISTS llm_mcp_key_usage")
