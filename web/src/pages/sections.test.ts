import { describe, expect, it } from 'vitest';
import { currentSection, sectionFromHash } from './sections';

const IDS = ['overview', 'documents', 'polls', 'questions', 'people'];

describe('sectionFromHash', () => {
  it('names a known section', () => {
    expect(sectionFromHash('#polls', IDS)).toBe('polls');
    expect(sectionFromHash('people', IDS)).toBe('people');
  });
  it('ignores other hashes (the skip link, unknown or malformed ones)', () => {
    expect(sectionFromHash('', IDS)).toBeNull();
    expect(sectionFromHash('#', IDS)).toBeNull();
    expect(sectionFromHash('#main', IDS)).toBeNull();
    expect(sectionFromHash('#%E0%A4%A', IDS)).toBeNull();
  });
});

describe('currentSection', () => {
  const tops = (...t: number[]) => t.map((top, i) => ({ id: IDS[i], top }));
  it('is the first section before any has passed the line', () => {
    expect(currentSection(tops(300, 900, 1500), 200, false)).toBe('overview');
  });
  it('is the last section whose top passed the line', () => {
    expect(currentSection(tops(-900, -100, 150, 700), 200, false)).toBe('polls');
    expect(currentSection(tops(-900, 200, 600), 200, false)).toBe('documents');
  });
  it('is the last section at the bottom of the page', () => {
    expect(currentSection(tops(-900, -100, 150, 700), 200, true)).toBe('questions');
  });
  it('is null without sections', () => {
    expect(currentSection([], 200, false)).toBeNull();
  });
});
