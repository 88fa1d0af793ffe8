/** The element's look: system fonts, light and dark (prefers-color-scheme), logical
 * properties so right-to-left mirrors itself. Apps restyle it with the custom properties
 * below or ::part(banner) / ::part(dialog). */

export const STYLE = `
:host {
  --updatesrv-font: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  --updatesrv-bg: #ffffff; --updatesrv-fg: #1d1d1f; --updatesrv-muted: #57575c;
  --updatesrv-border: #d2d2d7; --updatesrv-accent: #0b5cad; --updatesrv-accent-fg: #ffffff;
  --updatesrv-critical-bg: #fde7e9; --updatesrv-critical-fg: #8a1020;
  --updatesrv-major-bg: #fff0dc; --updatesrv-major-fg: #7a3d00;
  --updatesrv-minor-bg: #fff8cc; --updatesrv-minor-fg: #5c4a00;
  --updatesrv-info-bg: #e6f0fb; --updatesrv-info-fg: #0b3d73;
  display: block; font-family: var(--updatesrv-font); color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :host {
    --updatesrv-bg: #1e1e20; --updatesrv-fg: #f2f2f5; --updatesrv-muted: #b4b4bb;
    --updatesrv-border: #46464c; --updatesrv-accent: #6fb1ff; --updatesrv-accent-fg: #0b1a2b;
    --updatesrv-critical-bg: #4a1016; --updatesrv-critical-fg: #ffd5da;
    --updatesrv-major-bg: #47290a; --updatesrv-major-fg: #ffe0bd;
    --updatesrv-minor-bg: #3d3608; --updatesrv-minor-fg: #fff2b0;
    --updatesrv-info-bg: #0f2c4d; --updatesrv-info-fg: #d6e8ff;
  }
}
[hidden] { display: none !important; }
.severity-critical { --bg: var(--updatesrv-critical-bg); --fg: var(--updatesrv-critical-fg); }
.severity-major { --bg: var(--updatesrv-major-bg); --fg: var(--updatesrv-major-fg); }
.severity-minor { --bg: var(--updatesrv-minor-bg); --fg: var(--updatesrv-minor-fg); }
.severity-info { --bg: var(--updatesrv-info-bg); --fg: var(--updatesrv-info-fg); }
.banner {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem;
  padding: 0.6rem 1rem; background: var(--bg); color: var(--fg);
  border-block-end: 1px solid var(--updatesrv-border);
}
.banner .message { flex: 1 1 16rem; margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.buttons { display: flex; flex-wrap: wrap; gap: 0.5rem; }
button {
  font: inherit; padding: 0.4rem 0.9rem; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--updatesrv-border); background: var(--updatesrv-bg);
  color: var(--updatesrv-fg); min-height: 2.25rem;
}
button.primary { background: var(--updatesrv-accent); color: var(--updatesrv-accent-fg);
                 border-color: var(--updatesrv-accent); }
button:focus-visible, a:focus-visible, input:focus-visible {
  outline: 3px solid var(--updatesrv-accent); outline-offset: 2px;
}
dialog {
  width: min(42rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); padding: 0;
  border: 1px solid var(--updatesrv-border); border-radius: 10px;
  background: var(--updatesrv-bg); color: var(--updatesrv-fg);
  box-shadow: 0 10px 40px rgb(0 0 0 / 0.35);
}
dialog[open] { display: flex; flex-direction: column; }
dialog::backdrop { background: rgb(0 0 0 / 0.45); }
dialog header { padding: 1rem 1.25rem 0.75rem; background: var(--bg); color: var(--fg); }
dialog header h2 { margin: 0; font-size: 1.25rem; }
dialog header p { margin: 0.25rem 0 0; color: inherit; opacity: 0.85; }
.body { padding: 0.5rem 1.25rem; overflow: auto; }
footer { padding: 0.75rem 1.25rem; border-block-start: 1px solid var(--updatesrv-border);
         justify-content: flex-end; }
.notice { padding-block: 0.75rem; border-block-end: 1px solid var(--updatesrv-border); }
.notice:last-child { border-block-end: 0; }
.notice h3 { margin: 0.35rem 0; font-size: 1.1rem; overflow-wrap: anywhere; }
.notice h4 { margin: 0.75rem 0 0.25rem; font-size: 1rem; }
.meta { margin: 0; }
.badge { display: inline-block; padding: 0.1rem 0.5rem; border-radius: 4px; font-weight: 700;
         font-size: 0.8rem; text-transform: uppercase; background: var(--bg); color: var(--fg);
         border: 1px solid currentColor; }
.muted { color: var(--updatesrv-muted); }
.italic { font-style: italic; }
.markdown { overflow-wrap: anywhere; }
.markdown ol, .markdown ul { padding-inline-start: 1.5rem; }
.markdown li { margin-block: 0.2rem; }
.markdown code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em;
                 background: color-mix(in srgb, var(--updatesrv-fg) 10%, transparent);
                 padding: 0.05rem 0.3rem; border-radius: 3px; }
.markdown pre { overflow: auto; }
a { color: var(--updatesrv-accent); overflow-wrap: anywhere; }
.note { padding: 0.5rem 0.75rem; border-radius: 6px; background: var(--updatesrv-info-bg);
        color: var(--updatesrv-info-fg); }
.fix .update { margin-inline-start: 0.25rem; }
.dont-show { display: inline-flex; align-items: center; gap: 0.4rem; margin-top: 0.5rem;
             cursor: pointer; }
.dont-show input { width: 1.1rem; height: 1.1rem; }
`;
