// Any path the app has no page for.

import { h } from '../dom.js';
import { T } from '../i18n.js';

export function render() {
  const node = h(
    'div',
    { class: 'page narrow not-found' },
    h('h1', { text: T('title.notFound') }),
    h('p', { text: T('notFound.text') }),
    h('p', {}, h('a', { href: '/', class: 'btn btn-primary', text: T('notFound.home') })),
  );
  return { node, name: 'not-found', title: T('title.notFound') };
}
