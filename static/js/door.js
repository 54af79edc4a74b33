// The day screen refreshes itself once a minute while nobody is typing or
// pressing; without JavaScript staff reload it (every press reloads it anyway).
(() => {
  const screen = document.querySelector(".door[data-refresh-seconds]");
  if (!screen) return;
  const seconds = Number(screen.dataset.refreshSeconds) || 60;
  let lastActivity = Date.now();
  for (const kind of ["keydown", "pointerdown", "input", "focusin"]) {
    document.addEventListener(kind, () => { lastActivity = Date.now(); });
  }
  window.setInterval(() => {
    const typing = document.activeElement && document.activeElement.matches("input, select");
    if (!typing && Date.now() - lastActivity >= seconds * 1000) {
      window.location.reload();
    }
  }, seconds * 1000);
})();
