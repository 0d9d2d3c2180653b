// web/mac.js: the page's one MAC address parser, used by the list's
// filter, New config, Duplicate and the page's own URLs. It takes the
// forms people paste: six hex pairs separated throughout by ":" or "-"
// (what the service itself accepts, src/mac.c), by "." or spaces, twelve
// hex digits with no separator (240AC4991234, as firmware often prints
// it) and three groups of four joined by "." (240a.c499.1234), in any
// letter case. The page always sends the canonical form (lowercase, "-"),
// which the service accepts. macDigits is the loose form the filter
// matches parts of a MAC on.

const FORMS = [
  /^([0-9a-f]{2})([:\-. ])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i,
  /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i,
  /^([0-9a-f]{12})$/i,
];

// The canonical form of a MAC address in any of the forms above, or null.
export function macNormalise(text) {
  const t = String(text).trim();
  if (!FORMS.some((re) => re.test(t))) return null;
  const hex = t.toLowerCase().replace(/[^0-9a-f]/g, '');
  return hex.match(/../g).join('-');
}

// Hex digits only, lowercase: "AA:bb-Cc" -> "aabbcc". For filtering, so
// that any separator (or none) finds the device.
export function macDigits(text) {
  return String(text).toLowerCase().replace(/[^0-9a-f]/g, '');
}
