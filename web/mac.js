// web/mac.js: MAC addresses as the service accepts them (six hex pairs
// all separated by ":" or all by "-", any letter case, src/mac.c) and their canonical
// form (lowercase, "-"), plus the loose form the list filter matches on.

const ACCEPTED = /^[0-9a-f]{2}(?:(?::[0-9a-f]{2}){5}|(?:-[0-9a-f]{2}){5})$/i;

// The canonical form of an accepted MAC, or null.
export function macNormalise(text) {
  const t = String(text).trim();
  if (!ACCEPTED.test(t)) return null;
  return t.toLowerCase().replace(/:/g, '-');
}

// Hex digits only, lowercase: "AA:bb-Cc" -> "aabbcc". For filtering, so
// that any separator (or none) finds the device.
export function macDigits(text) {
  return String(text).toLowerCase().replace(/[^0-9a-f]/g, '');
}
