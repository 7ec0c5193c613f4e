// The record form's print button (no inline script: the app's CSP allows scripts from 'self' only).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-record");
  if (button) button.addEventListener("click", () => window.print());
});
