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
  // The section moved to by a link or hash stays current while it is in view and the reader has not
  // scrolled on their own, even where the page cannot scroll it to the top (near the bottom, where
  // the reading position alone would name the last section).
  const pinned = useRef<string | null>(null);
  const navRef = useRef<HTMLElement>(null);

  const go = useCallback((id: string) => {
    if (!showSection(id)) return;
    pinned.current = id;
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
      const pin = pinned.current && document.getElementById(pinned.current);
      if (pin) {
        const top = pin.getBoundingClientRect().top;
        if (top >= 0 && top < window.innerHeight) return;
        pinned.current = null;
      }
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
    const unpin = () => {
      pinned.current = null;
    };
    const own = ['wheel', 'touchmove', 'keydown', 'pointerdown'] as const;
    window.addEventListener('scroll', onScroll, { passive: true });
    for (const ev of own) window.addEventListener(ev, unpin, { capture: true, passive: true });
    return () => {
      window.removeEventListener('scroll', onScroll);
      for (const ev of own) window.removeEventListener(ev, unpin, true);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [idsKey]);

  // On a phone the links scroll sideways: keep the current one in sight.
  useEffect(() => {
    const list = navRef.current?.querySelector('ul');
    const link = list?.querySelector<HTMLElement>('a[aria-current]');
    if (!list || !link) return;
    const l = link.offsetLeft - list.offsetLeft;
    if (l < list.scrollLeft) list.scrollLeft = l;
    else if (l + link.offsetWidth > list.scrollLeft + list.clientWidth) list.scrollLeft = l + link.offsetWidth - list.clientWidth;
  }, [current]);

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
