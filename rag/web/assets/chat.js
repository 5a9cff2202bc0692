// Citation markers are plain links inside server-rendered HTML. One delegated listener on the
// component's root keeps working when Gradio swaps the HTML inside it on every update.
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.cite');
  if (!link || !element.contains(link)) return;
  event.preventDefault();
  element.querySelectorAll('a.cite.active').forEach((a) => a.classList.remove('active'));
  link.classList.add('active');
  trigger('cite', { turn: Number(link.dataset.turn), kind: link.dataset.kind, n: Number(link.dataset.n) });
});

// New content arrives at the bottom (a new question, the next streamed sentence): keep it in view.
// Only the chat has the bottom-anchored scroll box; the sources panel keeps its own position.
const scrollBox = () => {
  for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
    const style = getComputedStyle(node);
    if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) return node;
  }
  return null;
};
if (element.closest('#chat')) {
  watch('value', () => {
    const box = scrollBox();
    if (box) box.scrollTop = box.scrollHeight;
  });
}
