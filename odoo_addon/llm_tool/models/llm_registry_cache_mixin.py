from odoo import api, models


class LlmRegistryCacheMixin(models.AbstractModel):
    """Records that a registry-wide ``ormcache`` is computed from (the tool catalog, the MCP settings): any change
    to them clears the registry's cache.

    Cleared at once, so the changing transaction reads its own change, and again after the commit: in threaded
    mode another request may have cached the old committed values meanwhile. Odoo signals the clearing to the
    other workers through the database after the request.
    """

    _name = "llm.registry.cache.mixin"
    _description = "Clears the registry cache when its records change"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self._clear_registry_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self._clear_registry_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self._clear_registry_cache()
        return result

    def _clear_registry_cache(self):
        self.env.registry.clear_cache()
        postcommit = self.env.cr.postcommit
        if not postcommit.data.get(self._name):  # once a transaction, however many records it changes
            postcommit.data[self._name] = True
            postcommit.add(self.env.registry.clear_cache)
