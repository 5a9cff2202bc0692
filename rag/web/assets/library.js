// Open and Delete buttons of the library table; the server answers with the viewer or a
// confirmation step, so nothing is deleted by a single click.
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button || !element.contains(button)) return;
  event.preventDefault();
  trigger('library', { action: button.dataset.action, id: button.dataset.id });
});
