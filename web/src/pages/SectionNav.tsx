/**
 * In-page navigation between a page's sections (`<section id aria-labelledby>`): links that move
 * focus to the section's heading, the current one marked with aria-current, and hash URLs
 * (`/roundtables/<id>#polls`) that open the page at that section.
 */
import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import { currentSection, sectionFromHash } from './sections';

export interface SectionLink {
  /** The `id` of the `<section>`; its `aria-labelledby` names the heading that takes focus. */
  id: string;
  label: string;
}

/** How long after opening a page at a hash the section is kept in view while content above it loads. */
const SETTLE_MS = 3000;
/** Scroll events this soon after moving to a section come from that move, not from the reader. */
const OWN_SCROLL_MS = 400;

/** Scrolls `id`'s section to the top (below the sticky nav: CSS scroll-margin-top) and focuses its heading. */
function showSection(id: string): boolean {
  const section = document.getElementById(id);
  if (!section) return false;
  const headingId = section.getAttribute('aria-labelledby');
  const heading = (headingId && document.getElementById(headingId)) || section;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  section.scrollIntoView({ block: 'start' });
  heading.focus({ preventScroll: true });
  return true;
}

export function SectionNav({ label, sections }: { label: string; sections: SectionLink[] }) {
  const ids = sections.map((s) => s.id);
  const idsKey = ids.join(' ');
  const [current, setCurrent] = useState<string | null>(() => sectionFromHash(window.location.hash, ids) ?? ids[0] ?? null);
  const ignoreScrollUntil = useRef(0);
  const navRef = useRef<HTMLElement>(null);

  const go = useCallback((id: string) => {
    if (!showSection(id)) return;
    ignoreScrollUntil.current = performance.now() + OWN_SCROLL_MS;
    setCurrent(id);
  }, []);

  // Opening the page at #section: the section exists once the page has its data (this component
  // mounts with it), but lists above it (documents, polls) are still loading and will push it down.
  // Keep it in view until they settle or the reader does anything.
  useEffect(() => {
    const id = sectionFromHash(window.location.hash, idsKey.split(' '));
    if (!id) return;
    go(id);
    const started = performance.now();
    let observer: ResizeObserver | null = null;
    const stop = () => {
      observer?.disconnect();
      observer = null;
      for (const ev of ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const) window.removeEventListener(ev, stop, true);
    };
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => {
        if (performance.now() - started > SETTLE_MS) return stop();
        document.getElementById(id)?.scrollIntoView({ block: 'start' });
        ignoreScrollUntil.current = performance.now() + OWN_SCROLL_MS;
      });
      observer.observe(document.body);
    }
    for (const ev of ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const) window.addEventListener(ev, stop, { capture: true, passive: true });
    const timer = window.setTimeout(stop, SETTLE_MS);
    return () => {
      window.clearTimeout(timer);
      stop();
    };
  }, [idsKey, go]);

  // Back/forward between hashes, or a hash typed into the address bar.
  useEffect(() => {
    const onHash = () => {
      const id = sectionFromHash(window.location.hash, idsKey.split(' '));
      if (id) go(id);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [idsKey, go]);

  // Which section is being read, as the reader scrolls.
  useEffect(() => {
    let frame = 0;
    const update = () => {
      frame = 0;
      if (performance.now() < ignoreScrollUntil.current) return;
      const tops = idsKey
        .split(' ')
        .map((id) => ({ id, el: document.getElementById(id) }))
        .filter((s): s is { id: string; el: HTMLElement } => !!s.el)
        .map((s) => ({ id: s.id, top: s.el.getBoundingClientRect().top }));
      const navBottom = navRef.current?.getBoundingClientRect().bottom ?? 0;
      const line = navBottom + (window.innerHeight - navBottom) * 0.25;
      const doc = document.documentElement;
      const atBottom = window.scrollY > 0 && window.innerHeight + window.scrollY >= doc.scrollHeight - 2;
      const id = currentSection(tops, line, atBottom);
      if (id) setCurrent(id);
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(update);
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      window.removeEventListener('scroll', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [idsKey]);

  function onClick(e: MouseEvent<HTMLAnchorElement>, id: string) {
    // Let the browser handle "open in new tab" and the like.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    if (window.location.hash !== `#${id}`) {
      history.pushState(history.state, '', `${window.location.pathname}${window.location.search}#${id}`);
    }
    go(id);
  }

  return (
    <nav ref={navRef} aria-label={label} className="section-nav" data-testid="section-nav">
      <ul>
        {sections.map((s) => (
          <li key={s.id}>
            <a href={`#${s.id}`} aria-current={s.id === current ? 'true' : undefined} onClick={(e) => onClick(e, s.id)}>
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
