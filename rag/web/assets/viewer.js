// After each new article, bring the highlighted quote into view (inside the viewer's own
// scroll box and, if needed, the page).
const reveal = () => {
  const mark = element.querySelector('mark#cite-mark');
  if (mark) {
    mark.scrollIntoView({ block: 'center', behavior: 'smooth' });
  } else {
    const box = element.querySelector('.isnad-article');
    if (box) box.scrollTop = 0;
  }
};
watch('value', reveal);
reveal();
