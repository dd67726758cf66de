// A tiny, safe Markdown renderer for card details (CDS Hooks card.detail is
// GitHub-flavoured Markdown). Safety comes first: the whole source is
// HTML-escaped before any Markdown is recognised, so the only tags in the
// output are the ones this file writes, and a link is written only for an
// http(s) URL. Supported: paragraphs, bullet and numbered lists, **bold**,
// *italic* / _italic_, `code` and [links](https://…). Anything else stays
// as escaped text.
(function () {
  'use strict';

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }

  // safeURL takes an already escaped URL and returns it when its scheme is
  // http or https; javascript:, data: and relative URLs are refused.
  function safeURL(escaped) {
    var raw = escaped.replace(/&amp;/g, '&');
    return /^https?:\/\/[^\s]+$/i.test(raw) ? escaped : null;
  }

  // inline renders the inline spans of escaped text. Code spans and links
  // are set aside in slots first so that emphasis never rewrites a URL.
  function inline(s) {
    var slots = [];
    function keep(html) {
      slots.push(html);
      return '\u0000' + (slots.length - 1) + '\u0000';
    }
    s = s.replace(/`([^`]+)`/g, function (_, code) { return keep('<code>' + code + '</code>'); });
    s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, function (m, text, url) {
      var u = safeURL(url);
      if (!u) { return text; }
      return keep('<a href="' + u + '" target="_blank" rel="noopener noreferrer">' + text + '</a>');
    });
    s = s.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
    s = s.replace(/__([^_]+)__/g, '<strong>$1</strong>');
    s = s.replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?!\w)/g, '$1<em>$2</em>');
    s = s.replace(/(^|[^_\w])_([^_\s][^_]*?)_(?!\w)/g, '$1<em>$2</em>');
    return s.replace(/\u0000(\d+)\u0000/g, function (_, i) { return slots[+i]; });
  }

  // render returns HTML for a Markdown source. Its output is safe to assign
  // to innerHTML because every character of the source was escaped first.
  function render(src) {
    var lines = escapeHTML(String(src || '').replace(/\u0000/g, '')).replace(/\r\n?/g, '\n').split('\n');
    var out = [];
    var para = [];
    var list = null; // {tag, items}

    function flushPara() {
      if (para.length) { out.push('<p>' + inline(para.join(' ')) + '</p>'); }
      para = [];
    }
    function flushList() {
      if (list) {
        out.push('<' + list.tag + '>' + list.items.map(function (it) { return '<li>' + inline(it) + '</li>'; }).join('') + '</' + list.tag + '>');
      }
      list = null;
    }
    lines.forEach(function (line) {
      var m;
      if (/^\s*$/.test(line)) { flushPara(); flushList(); return; }
      if ((m = /^\s*[-*+]\s+(.*)$/.exec(line))) { flushPara(); startList('ul'); list.items.push(m[1]); return; }
      if ((m = /^\s*\d+[.)]\s+(.*)$/.exec(line))) { flushPara(); startList('ol'); list.items.push(m[1]); return; }
      if ((m = /^#{1,6}\s+(.*)$/.exec(line))) {
        // Headings in a card would break the page's heading outline.
        flushPara(); flushList(); out.push('<p><strong>' + inline(m[1]) + '</strong></p>'); return;
      }
      if (list && /^\s{2,}\S/.test(line)) { list.items[list.items.length - 1] += ' ' + line.trim(); return; }
      flushList();
      para.push(line.trim());
    });
    flushPara();
    flushList();
    return out.join('\n');

    function startList(tag) {
      if (list && list.tag !== tag) { flushList(); }
      if (!list) { list = { tag: tag, items: [] }; }
    }
  }

  window.lgMarkdown = { render: render, escapeHTML: escapeHTML };
})();
