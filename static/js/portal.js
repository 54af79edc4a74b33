// Progressive enhancement only: every page works without this file.

// A second click on a submit button would send the form twice; the server
// books once either way, but the disabled button tells the user it is working.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("[data-prevent-double-submit]");
  if (button) {
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});

// After a failed submission, start at the list of what to correct; each entry
// puts the cursor into its field (a plain link only scrolls there).
const summary = document.querySelector(".error-summary");
if (summary) {
  // After "load": a #main left in the address by the skip link would take the focus later.
  window.addEventListener("load", () => summary.focus());
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(link.hash.slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
    }
  });
}
