// The rule table form: "添加一行" adds a blank row (without script, the form always ends in one).
document.addEventListener('DOMContentLoaded', () => {
  // a refused deploy: the first cell in error is where the person goes on typing
  const bad = document.querySelector('.rules-form [aria-invalid="true"]');
  if (bad) { bad.scrollIntoView({ block: 'center' }); bad.focus({ preventScroll: true }); }
  const button = document.getElementById('add-rule-row');
  const template = document.getElementById('rule-row-template');
  const rows = document.getElementById('rule-rows');
  if (!button || !template || !rows) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    const n = rows.querySelectorAll('fieldset.rule-row').length;
    const html = template.innerHTML.replaceAll('__N__', String(n));
    rows.insertAdjacentHTML('beforeend', html);
    const added = rows.lastElementChild;
    if (added) added.querySelector('input[type=text]')?.focus();
  });
});
