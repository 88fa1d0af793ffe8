/** Every word the element shows, in English and Hungarian (words from the project's
 * glossary). Apps override any of them through the element's `strings` property; a locale
 * without its own strings gets English. Placeholders: {title} {n} {version} {update}
 * {product} {date}. */

export interface Strings {
  region: string;
  bannerOne: string;
  bannerMore: string;
  whatToDo: string;
  dismiss: string;
  headingOne: string;
  headingMany: string;
  workaround: string;
  fixedIn: string;
  fixReady: string;
  updateNow: string;
  updateTo: string;
  details: string;
  support: string;
  criticalNote: string;
  dontShow: string;
  close: string;
  savedNote: string;
  severity: Record<string, string>;
  status: Record<string, string>;
}

export const en: Strings = {
  region: "Known issues",
  bannerOne: "{severity} known issue: {title}",
  bannerMore: "and {n} more",
  whatToDo: "What to do…",
  dismiss: "Dismiss",
  headingOne: "{severity} known issue",
  headingMany: "{n} known issues",
  workaround: "What to do",
  fixedIn: "Fixed in {version}.",
  fixReady: "Fixed in {version}: version {update} is ready for you.",
  updateNow: "Update now",
  updateTo: "Update now to {update}",
  details: "Details",
  support: "Still stuck? Contact support:",
  criticalNote: "This critical notice is shown at every start while it affects your version.",
  dontShow: "Don't show this again",
  close: "Close",
  savedNote: "The server could not be reached: this is what was known on {date}.",
  severity: { critical: "Critical", major: "Major", minor: "Minor", info: "Info" },
  status: { investigating: "investigating", confirmed: "confirmed",
            workaround: "workaround available", fixed: "fixed", withdrawn: "withdrawn" },
};

export const hu: Strings = {
  region: "Ismert hibák",
  bannerOne: "{severity} ismert hiba: {title}",
  bannerMore: "és még {n}",
  whatToDo: "Teendők…",
  dismiss: "Elrejtés",
  headingOne: "{severity} ismert hiba",
  headingMany: "{n} ismert hiba",
  workaround: "Teendők",
  // Hungarian {version} and {update} arrive with article and suffix: „a 2.0.1-es”.
  fixedIn: "Javítva {version} verzióban.",
  fixReady: "Javítva {version} verzióban: {update} verzió már letölthető.",
  updateNow: "Frissítés most",
  updateTo: "Frissítés {update} verzióra",
  details: "Részletek",
  support: "Továbbra sem működik? Forduljon ügyfélszolgálatunkhoz:",
  criticalNote: "Ez a kritikus hiba minden indításkor megjelenik, amíg az Ön verzióját érinti.",
  dontShow: "Ne mutassa többé",
  close: "Bezárás",
  savedNote: "A kiszolgáló nem érhető el: ezt tudtuk {date} állapot szerint.",
  severity: { critical: "Kritikus", major: "Súlyos", minor: "Kisebb", info: "Tájékoztató" },
  status: { investigating: "vizsgáljuk", confirmed: "megerősítve",
            workaround: "átmeneti megoldás elérhető", fixed: "javítva", withdrawn: "visszavonva" },
};

export const BUILT_IN: Record<string, Strings> = { en, hu };

const RTL = new Set(["ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"]);

export function language(locale: string): string {
  return locale.toLowerCase().split(/[-_]/)[0] ?? "en";
}

export function isRtl(locale: string): boolean {
  return RTL.has(language(locale));
}

// The Hungarian suffix of a number follows the sound of its last spoken word: 2.0.1-es,
// 2.0.3-as, 2.0.5-ös, 2.0.6-os, 2.0.20-as, 2.0.100-as.
const UNITS = ["", "es", "es", "as", "es", "ös", "os", "es", "as", "es"];
const TENS = ["", "es", "as", "as", "es", "es", "as", "es", "as", "es"];

export function hungarianVersion(version: string): string {
  const digits = /(\d+)$/.exec(version)?.[1];
  if (digits === undefined) return version;
  const n = Number(digits.slice(-7));
  let suffix: string;
  if (n === 0) suffix = "s"; // nulla
  else if (n % 10) suffix = UNITS[n % 10]!;
  else if (n % 100) suffix = TENS[(n % 100) / 10]!;
  else if (n % 1000) suffix = "as"; // száz
  else if (n % 1_000_000) suffix = "es"; // ezer
  else suffix = "s"; // millió
  return `${version}-${suffix}`;
}

/** A version with its Hungarian article and suffix: „a 2.0.1-es”, „az 1.0-s”, „az 5.2-es”. */
export function hungarianVersionPhrase(version: string): string {
  const lead = Number(/^\d+/.exec(version)?.[0] ?? "NaN");
  // egy, öt…, ezer… begin with a vowel sound.
  const vowel = lead === 1 || String(lead).startsWith("5") || (lead >= 1000 && lead < 2000);
  return `${vowel ? "az" : "a"} ${hungarianVersion(version)}`;
}

export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole);
}
