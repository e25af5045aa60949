// Text in HTTP header values. Node's setHeader throws on any character above U+00FF (a translated Odoo
// message in Greek or Chinese would turn a 401 into a crash) and on CR or LF; a quote or a backslash would end
// or bend a quoted-string, letting text from Odoo add parameters of its own to a challenge.

/**
 * `text` as an RFC 9110 §5.6.4 quoted-string any header can carry: `"` and `\` become quoted-pairs, control
 * characters (CR, LF, HTAB, …, DEL) a space, and every character outside printable ASCII `?` (obs-text, the
 * Latin-1 range, is left out too: clients read it differently). The whole text stays in the JSON body.
 */
export function quotedString(text: string): string {
  let safe = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) safe += ' ';
    else if (code > 0x7e) safe += '?';
    else if (char === '"' || char === '\\') safe += `\\${char}`;
    else safe += char;
  }
  return `"${safe}"`;
}
