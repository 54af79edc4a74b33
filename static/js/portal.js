// Progressive enhancement only: every page works without this file.
// A second click on a submit button would send the form twice; the server
// books once either way, but the disabled button tells the user it is working.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("[data-prevent-double-submit]");
  if (button) {
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});
