/** Pure parts of the in-page section navigation (SectionNav.tsx): which section a hash names, which one is being read. */

/** The section id that `hash` ("#polls") names, if it is one of `ids`; otherwise null. */
export function sectionFromHash(hash: string, ids: readonly string[]): string | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw) return null;
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return ids.includes(id) ? id : null;
}

/**
 * The section being read: the last one whose top has scrolled above `line` (pixels from the top of
 * the window), or the first when none has. At the very bottom of the page the last section counts
 * as current even if its top never reaches the line (a short last section could not be chosen otherwise).
 */
export function currentSection(tops: readonly { id: string; top: number }[], line: number, atBottom: boolean): string | null {
  if (tops.length === 0) return null;
  if (atBottom) return tops[tops.length - 1].id;
  let current = tops[0].id;
  for (const s of tops) {
    if (s.top <= line) current = s.id;
    else break;
  }
  return current;
}
