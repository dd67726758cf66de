// The playground page. It builds every element with the DOM API and sets
// text with textContent; the only innerHTML is card detail rendered by
// markdown.js, which escapes its whole input first.
(function () {
  'use strict';

  // Each indicator has a word and an icon of its own shape (octagon,
  // triangle, circle), so that colour is never the only signal. The icons
  // are drawn as SVG because emoji fonts are often missing on clinical
  // workstations.
  var INDICATORS = {
    critical: { word: 'Critical', shape: 'M5.2 1.5h5.6l3.7 3.7v5.6l-3.7 3.7H5.2l-3.7-3.7V5.2z', mark: 'M8 4.5v4.5', dot: 11.6 },
    warning: { word: 'Warning', shape: 'M8 1.6l6.9 12.6H1.1z', mark: 'M8 6v4', dot: 12.1 },
    info: { word: 'Info', shape: 'M8 1.5a6.5 6.5 0 1 0 0.01 0z', mark: 'M8 7v4.8', dot: 4.6 }
  };
  var SVGNS = 'http://www.w3.org/2000/svg';

  function icon(kind) {
    var ind = INDICATORS[kind];
    var svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    if (!ind) { return svg; }
    [ind.shape, ind.mark].forEach(function (d) {
      var p = document.createElementNS(SVGNS, 'path');
      p.setAttribute('d', d);
      svg.appendChild(p);
    });
    var c = document.createElementNS(SVGNS, 'circle');
    c.setAttribute('cx', '8');
    c.setAttribute('cy', String(ind.dot));
    c.setAttribute('r', '0.9');
    svg.appendChild(c);
    return svg;
  }

  // sample is the chosen sample's list entry (its as-of time); previous is
  // the last run's cards, for the diff after an edit.
  var state = { bundle: null, built: null, response: null, info: null, drugsFilled: false, samples: {}, sample: null, previous: null };

  function $(id) { return document.getElementById(id); }

  // el builds an element; attrs are attributes (class, id, aria-*) or, for
  // "text", the text content; children are nodes or strings (text nodes).
  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === 'text') { e.textContent = v; } else { e.setAttribute(k, v === true ? '' : v); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function setStatus(id, text, isError) {
    var s = $(id);
    s.textContent = text;
    s.classList.toggle('error', !!isError);
  }

  // call fetches JSON and turns an error body ({error: {code, message}}) or
  // a network failure into an Error with a readable message.
  function call(url, opts) {
    opts = opts || {};
    var headers = { 'Accept': 'application/json' };
    if (opts.body !== undefined) { headers['Content-Type'] = 'application/json'; }
    if (opts.token) { headers['Authorization'] = 'Bearer ' + opts.token; }
    return fetch(url, { method: opts.body !== undefined ? 'POST' : 'GET', headers: headers, body: opts.body, credentials: 'same-origin' })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
          if (!r.ok) {
            var msg = data && data.error && data.error.message ? data.error.message : (t || r.statusText);
            throw new Error(r.status + ' ' + msg);
          }
          return data;
        });
      });
  }

  function safeHref(u) { return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null; }

  function link(href, text) {
    var h = safeHref(href);
    if (!h) { return document.createTextNode(text); }
    return el('a', { href: h, target: '_blank', rel: 'noopener noreferrer' }, text);
  }

  function json(v) { return JSON.stringify(v, null, 2); }

  // ---- policy info -------------------------------------------------------

  function loadInfo() {
    return call('api/info').then(function (info) {
      state.info = info;
      $('revision').textContent = info.revision;
      $('rule-count').textContent = '(' + info.rules.length + ' rules)';
      if (!state.drugsFilled) { fillDrugs(info.drugs); state.drugsFilled = true; }
      fillCatalog(info.rules);
      return info;
    });
  }

  function fillDrugs(drugs) {
    var sel = $('drug');
    clear(sel);
    drugs.forEach(function (d) {
      var g = el('optgroup', { label: d.display + ' (target: ' + d.target + ')' });
      d.products.forEach(function (p) {
        g.appendChild(el('option', { value: p.display, 'data-strength': p.strengthMg || '', 'data-rxnorm': rxnormOf(p.codes), text: p.display }));
      });
      sel.appendChild(g);
    });
    sel.appendChild(el('optgroup', { label: 'Any other medication' }, el('option', { value: '__other', text: 'Other medication (name and RxNorm code)' })));
    var pick = Array.prototype.find.call(sel.options, function (o) { return /^upadacitinib 15 MG/i.test(o.value); });
    if (pick) { sel.value = pick.value; }
    drugChanged();
  }

  function rxnormOf(codes) {
    var c = (codes || []).find(function (x) { return x.indexOf('rxnorm|') >= 0; });
    return c ? c.split('|')[1] : '';
  }

  function fillCatalog(rules) {
    var body = $('catalog').tBodies[0];
    clear(body);
    rules.forEach(function (r) {
      body.appendChild(el('tr', {},
        el('td', {}, el('code', { text: r.id })),
        el('td', { text: r.title + (r.disabled ? ' (disabled at this site)' : '') }),
        el('td', { text: r.indicators.join(', ') }),
        el('td', {}, link(r.source.url, r.source.label + (r.source.section ? ' ' + r.source.section : '')))));
    });
  }

  // ---- patient -----------------------------------------------------------

  function loadSamples() {
    return call('api/samples').then(function (res) {
      var sel = $('sample');
      clear(sel);
      sel.appendChild(el('option', { value: '', text: res.samples.length ? 'Choose a sample patient…' : 'No samples on this server: upload a Bundle' }));
      var groups = { synthea: el('optgroup', { label: 'Synthea patients' }), scenario: el('optgroup', { label: 'Scenarios' }) };
      res.samples.forEach(function (s) {
        state.samples[s.id] = s;
        var born = s.birthDate ? ', born ' + s.birthDate.slice(0, 4) : '';
        var sex = s.sex ? ', ' + s.sex : '';
        (groups[s.kind] || groups.synthea).appendChild(el('option', { value: s.id, text: s.label + (s.kind === 'synthea' ? sex + born : '') }));
      });
      Object.keys(groups).forEach(function (k) { if (groups[k].children.length) { sel.appendChild(groups[k]); } });
    }).catch(function (e) { setStatus('patient-status', 'Could not list samples: ' + e.message, true); });
  }

  function sampleChanged() {
    var id = $('sample').value;
    if (!id) { return; }
    state.bundle = null;
    state.previous = null; // another patient: a diff would compare two people
    $('upload').value = '';
    state.sample = state.samples[id] || null;
    // A sample is evaluated at the time it was written for, moved to today.
    $('as-of').value = state.sample && state.sample.asOf ? state.sample.asOf.slice(0, 10) : '';
    asOfChanged(true);
    setStatus('patient-status', 'Loading the patient…');
    loadSummary().then(function (res) {
      setStatus('patient-status', 'Patient loaded: ' + res.sample.label + '.');
      if (res.sample.order) { prefill(res.sample.order); }
    }).catch(function (e) { setStatus('patient-status', 'Could not load the sample: ' + e.message, true); });
  }

  // loadSummary fetches the chosen patient's summary as of the as-of time.
  function loadSummary() {
    var q = asOfParam() ? '?asOf=' + encodeURIComponent(asOfParam()) : '';
    if ($('sample').value) {
      var id = $('sample').value;
      return call('api/samples/' + encodeURIComponent(id) + q).then(function (res) {
        renderSummary(res.summary, res.sample.label);
        return res;
      });
    }
    if (state.bundle) {
      return call('api/summary' + q, { body: JSON.stringify(state.bundle) }).then(function (res) {
        renderSummary(res.summary, state.bundleName);
        return res;
      });
    }
    return Promise.resolve(null);
  }

  function uploadChanged() {
    var f = $('upload').files[0];
    if (!f) { return; }
    var limit = state.info && state.info.limits ? state.info.limits.maxUploadBytes : 0;
    if (limit && f.size > limit) {
      setStatus('patient-status', 'The file is larger than the ' + Math.round(limit / 1048576) + ' MiB limit.', true);
      return;
    }
    setStatus('patient-status', 'Reading the file…');
    f.text().then(function (text) {
      var parsed;
      try { parsed = JSON.parse(text); } catch (e) { throw new Error('the file is not JSON'); }
      // An upload is read as of now unless the reviewer picks a date.
      $('as-of').value = '';
      state.sample = null;
      asOfChanged(true);
      return call('api/summary', { body: text }).then(function (res) {
        state.bundle = parsed;
        state.bundleName = f.name;
        state.previous = null;
        $('sample').value = '';
        renderSummary(res.summary, f.name);
        setStatus('patient-status', 'Bundle loaded: ' + f.name + '.');
      });
    }).catch(function (e) {
      state.bundle = null;
      setStatus('patient-status', 'Could not use the upload: ' + e.message, true);
    });
  }

  // ---- as-of time --------------------------------------------------------

  // asOfParam is the as-of time to send: empty for now (the service's
  // clock); the sample's exact as-of time when its day is given; else what
  // was typed (a day, which the server reads as 12:00 UTC, or a time).
  function asOfParam() {
    var d = $('as-of').value.trim();
    if (!d) { return ''; }
    if (state.sample && state.sample.asOf && state.sample.asOf.slice(0, 10) === d) { return state.sample.asOf; }
    return d;
  }

  function asOfChanged(quiet) {
    var d = $('as-of').value.trim(), s = state.sample, hint;
    if (!d) {
      hint = 'Now: the CDS service evaluates at its own clock, as for an EHR.';
    } else if (s && s.asOf && s.asOf.slice(0, 10) === d) {
      hint = 'The day this case was written for (' + s.writtenFor.slice(0, 10) + ')' +
        (s.movedDays ? ', its dates moved by ' + s.movedDays + ' days to today' : '') +
        '; evaluated by the playground as of ' + s.asOf.slice(11, 16) + ' UTC.';
    } else {
      hint = 'Evaluated by the playground as of ' + (/^\d{4}-\d{2}-\d{2}$/.test(d) ? d + ' 12:00 UTC' : d) +
        ' (the service itself takes no clock from a caller). A date: 2026-11-23; empty: now.';
    }
    $('as-of-hint').textContent = hint;
    if (quiet !== true) {
      loadSummary().catch(function (e) { setStatus('patient-status', 'Could not read the patient as of that date: ' + e.message, true); });
    }
  }

  function renderSummary(s, label) {
    var box = $('summary');
    clear(box);
    var age = s.ageYears !== undefined ? s.ageYears + ' years' : 'unknown';
    box.appendChild(el('h3', { text: s.name || label }));
    box.appendChild(el('dl', { class: 'facts' },
      el('dt', { text: 'Sex' }), el('dd', { text: s.sex || 'unknown' }),
      el('dt', { text: 'Age' }), el('dd', { text: age + (s.birthDate ? ' (born ' + s.birthDate + ')' : '') + (s.deceased ? ', deceased' : '') }),
      el('dt', { text: 'As of' }), el('dd', { text: s.asOf.replace('T', ' ').replace(/:00Z$|Z$/, '') + ' UTC' })));
    box.appendChild(itemList('Active conditions', s.conditions, 'Relevant to the rules'));
    box.appendChild(itemList('Active medications', s.medications, 'Relevant to the rules'));
    if (s.allergies.length) { box.appendChild(itemList('Allergies', s.allergies, 'Relevant to the rules')); }
    var labs = el('div', {}, el('h4', { text: 'Latest labs' }));
    if (!s.labs.length) {
      labs.appendChild(el('p', { class: 'muted', text: 'No result of a lab the rules read.' }));
    } else {
      var tb = el('tbody');
      s.labs.forEach(function (l) {
        var days = Math.round(l.ageDays);
        tb.appendChild(el('tr', {}, el('th', { scope: 'row', text: l.display }), el('td', { text: l.value }),
          el('td', {}, el('span', { class: 'nowrap', text: l.time.slice(0, 10) }), ' ',
            el('span', { class: 'nowrap muted', text: '(' + (days === 1 ? '1 day' : days + ' days') + ' old)' }))));
      });
      labs.appendChild(el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Lab' }), el('th', { scope: 'col', text: 'Value' }),
          el('th', { scope: 'col', text: 'Date' }))), tb)));
    }
    box.appendChild(labs);
  }

  function itemList(title, items, keyLabel) {
    var d = el('div', {}, el('h4', { text: title + ' (' + items.length + ')' }));
    if (!items.length) { d.appendChild(el('p', { class: 'muted', text: 'None.' })); return d; }
    var ul = el('ul', { class: 'items' });
    items.forEach(function (it) {
      ul.appendChild(el('li', {}, it.display, it.since ? el('span', { class: 'muted', text: ' since ' + it.since }) : null,
        it.key ? el('span', { class: 'tag', text: keyLabel }) : null));
    });
    d.appendChild(ul);
    return d;
  }

  function prefill(o) {
    if (o.hook) { $('hook').value = o.hook; }
    if (o.drugName) {
      var sel = $('drug');
      // Scenario drafts name products without the brand suffix of the drug
      // table ("... Oral Tablet" for "... Oral Tablet [Rinvoq]").
      var want = o.drugName.toLowerCase();
      var match = Array.prototype.find.call(sel.options, function (x) {
        return x.value !== '__other' && x.value.toLowerCase().indexOf(want) === 0;
      });
      if (match) { sel.value = match.value; } else { sel.value = '__other'; $('drug-name').value = o.drugName; }
      $('rxnorm').value = o.rxnorm || '';
      drugChanged(true);
    }
    if (o.dose) { $('dose').value = o.dose; }
    if (o.unit) { $('unit').value = o.unit; }
    if (o.frequency) { $('frequency').value = o.frequency; }
    hookChanged();
  }

  // ---- order form --------------------------------------------------------

  function hookChanged() {
    $('order-fields').disabled = $('hook').value === 'patient-view';
  }

  function drugChanged(keepDose) {
    var opt = $('drug').selectedOptions[0];
    var other = !opt || opt.value === '__other';
    $('other-drug').hidden = !other;
    if (!other && keepDose !== true) {
      // A cream is dosed in grams, a tablet by its strength in mg.
      if (/topical|cream/i.test(opt.value)) { $('unit').value = 'g'; } else if (opt.getAttribute('data-strength')) {
        $('dose').value = opt.getAttribute('data-strength');
        $('unit').value = 'mg';
      }
    }
  }

  function orderForm() {
    var opt = $('drug').value;
    var other = opt === '__other';
    var o = { hook: $('hook').value };
    if (o.hook === 'patient-view') { return o; }
    o.drugName = other ? $('drug-name').value.trim() : opt;
    o.rxnorm = other ? $('rxnorm').value.trim() : ($('drug').selectedOptions[0].getAttribute('data-rxnorm') || '');
    o.dose = parseFloat($('dose').value);
    o.unit = $('unit').value;
    o.frequency = $('frequency').value;
    return o;
  }

  // ---- run ---------------------------------------------------------------

  function run(ev) {
    ev.preventDefault();
    var body = orderForm();
    if ($('sample').value) { body.sample = $('sample').value; } else if (state.bundle) { body.bundle = state.bundle; } else {
      setStatus('run-status', 'Choose a sample patient or upload a Bundle first.', true);
      $('sample').focus();
      return;
    }
    if (body.hook !== 'patient-view' && (!body.drugName || !(body.dose > 0))) {
      setStatus('run-status', 'Give the medication and a dose above 0.', true);
      return;
    }
    var asOf = asOfParam();
    if (asOf) { body.asOf = asOf; }
    var token = $('token').value.trim();
    $('run').disabled = true;
    $('cards').setAttribute('aria-busy', 'true');
    setStatus('run-status', 'Running…');
    state.built = null;
    state.response = null;
    // The revision is read again on every run, so a hot reload shows.
    loadInfo().then(function () {
      return call('api/request', { body: JSON.stringify(body) });
    }).then(function (built) {
      state.built = built;
      $('raw-request').textContent = json(built.request);
      var explain = { serviceId: built.serviceId, request: built.request };
      if (asOf) {
        // The service takes no clock from a caller: as of another time the
        // playground evaluates the request itself (pipeline.Run, the
        // service's own function) and shows those cards.
        explain.asOf = asOf;
        return call('api/explain', { body: JSON.stringify(explain) }).then(function (ex) {
          showCards({ cards: ex.cards }, 'evaluated by the playground as of ' + ex.now.replace('T', ' ').replace(/:00Z$|Z$/, '') + ' UTC');
          renderWhy(ex);
        });
      }
      // The same endpoint and body an EHR would use.
      return call(built.url, { body: JSON.stringify(built.request), token: token }).then(function (response) {
        showCards(response, 'from POST ' + built.url + ' at the service\'s clock');
        return call('api/explain', { body: JSON.stringify(explain) })
          .then(renderWhy)
          .catch(function (e) { renderWhyError(e); });
      });
    }).catch(function (e) {
      clear($('cards'));
      clear($('diff'));
      setStatus('run-status', 'The run failed: ' + e.message, true);
    }).then(function () {
      $('run').disabled = false;
      $('cards').removeAttribute('aria-busy');
      $('copy-request').disabled = !state.built;
      $('copy-response').disabled = !state.response;
    });
  }

  function showCards(response, how) {
    state.response = response;
    $('raw-response').textContent = json(response);
    renderCards(response.cards || [], how);
  }

  // ---- cards -------------------------------------------------------------

  function extOf(c) { return (c.extension && c.extension['org.labelguard']) || {}; }

  // cardKey tells cards apart across runs: the rule and the order.
  function cardKey(c) { var x = extOf(c); return (x.rule || c.summary) + '|' + (x.order || ''); }

  // diffCards compares this run's cards with the previous run's.
  function diffCards(before, after) {
    var was = {}, now = {}, d = { added: [], removed: [], changed: [] };
    before.forEach(function (c) { was[cardKey(c)] = c; });
    after.forEach(function (c) {
      var k = cardKey(c), old = was[k];
      now[k] = c;
      if (!old) { d.added.push(c); } else if (old.indicator !== c.indicator) { d.changed.push({ card: c, from: old.indicator }); }
    });
    before.forEach(function (c) { if (!now[cardKey(c)]) { d.removed.push(c); } });
    return d;
  }

  function renderCards(cards, how) {
    var box = $('cards');
    clear(box);
    var counts = {};
    var d = state.previous ? diffCards(state.previous, cards) : null;
    var mark = {};
    if (d) {
      d.added.forEach(function (c) { mark[cardKey(c)] = { kind: 'added', text: 'New' }; });
      d.changed.forEach(function (x) { mark[cardKey(x.card)] = { kind: 'changed', text: 'Was ' + x.from }; });
    }
    cards.forEach(function (c, i) {
      counts[c.indicator] = (counts[c.indicator] || 0) + 1;
      box.appendChild(card(c, i, mark[cardKey(c)]));
    });
    renderDiff(d);
    state.previous = cards;
    // The results column scrolls on its own: show the new run from its top.
    $('results').parentNode.scrollTop = 0;
    var parts = ['critical', 'warning', 'info'].filter(function (k) { return counts[k]; }).map(function (k) { return counts[k] + ' ' + k; });
    var rev = state.info ? ' Policy revision ' + state.info.revision + '.' : '';
    setStatus('run-status', cards.length === 0 ? 'No cards: nothing to say for this order (' + how + ').' + rev
      : cards.length + (cards.length === 1 ? ' card' : ' cards') + ' (' + parts.join(', ') + ') from ' + state.built.serviceId + ', ' + how + '.' + rev);
  }

  function renderDiff(d) {
    var box = $('diff');
    clear(box);
    if (!d) { return; }
    var n = d.added.length + d.removed.length + d.changed.length;
    var wrap = el('div', { class: 'diff' });
    if (!n) {
      wrap.appendChild(el('p', { class: 'diff-none', text: 'Same cards as the previous run.' }));
      box.appendChild(wrap);
      return;
    }
    var parts = [];
    if (d.added.length) { parts.push(d.added.length + ' added'); }
    if (d.removed.length) { parts.push(d.removed.length + ' removed'); }
    if (d.changed.length) { parts.push(d.changed.length + ' changed indicator'); }
    wrap.appendChild(el('h3', { text: 'Since the previous run: ' + parts.join(', ') }));
    var ul = el('ul', { class: 'diff-list' });
    function word(i) { return (INDICATORS[i] || { word: i }).word.toUpperCase(); }
    d.added.forEach(function (c) {
      ul.appendChild(el('li', { class: 'diff-added', 'data-rule': extOf(c).rule || '' }, el('strong', { text: 'Added ' }), word(c.indicator) + ': ' + c.summary));
    });
    d.removed.forEach(function (c) {
      ul.appendChild(el('li', { class: 'diff-removed', 'data-rule': extOf(c).rule || '' }, el('strong', { text: 'Removed ' }), word(c.indicator) + ': ' + c.summary));
    });
    d.changed.forEach(function (x) {
      ul.appendChild(el('li', { class: 'diff-changed', 'data-rule': extOf(x.card).rule || '' }, el('strong', { text: 'Changed ' }),
        word(x.from) + ' → ' + word(x.card.indicator) + ': ' + x.card.summary));
    });
    wrap.appendChild(ul);
    box.appendChild(wrap);
  }

  // splitSources takes the "See also: [label](url), section." paragraphs
  // (and the "Source: " lines of older policy sets) out of a card's detail:
  // the page cites the card's source once, in the source position, and
  // the other works a detail cites after it.
  function splitSources(detail, sourceURL) {
    var keep = [], others = [];
    String(detail || '').split(/\n\s*\n/).forEach(function (para) {
      var t = para.trim();
      if (!/^(Source|See also): \[/.test(t)) { keep.push(para); return; }
      var re = /(?:Source|See also): \[([^\]]+)\]\(([^)\s]+)\)([\s\S]*?)(?=\s*(?:Source|See also): \[|$)/g, m;
      while ((m = re.exec(t)) !== null) {
        if (m[2] !== sourceURL) { others.push({ label: m[1], url: m[2], rest: m[3].replace(/^,\s*/, '').replace(/\.\s*$/, '') }); }
      }
    });
    return { detail: keep.join('\n\n').trim(), others: others };
  }

  // resourceIndex maps Type/id to the resources of the request: its
  // prefetch and draft orders, what the evidence names.
  function resourceIndex(req) {
    var idx = {};
    function add(r) {
      if (!r || typeof r !== 'object') { return; }
      if (r.resourceType === 'Bundle') { (r.entry || []).forEach(function (e) { add(e.resource); }); return; }
      if (r.resourceType && r.id) { idx[r.resourceType + '/' + r.id] = r; }
    }
    if (req) {
      Object.keys(req.prefetch || {}).forEach(function (k) { add(req.prefetch[k]); });
      add(req.context && req.context.draftOrders);
    }
    return idx;
  }

  function codeText(cc) {
    if (!cc) { return ''; }
    return cc.text || ((cc.coding || []).find(function (c) { return c.display; }) || {}).display || '';
  }

  // fromResource reads what a resource says when the evidence leaves it
  // out: its value with unit and its date.
  function fromResource(r) {
    if (!r) { return {}; }
    var out = {};
    if (r.valueQuantity) { out.value = r.valueQuantity.value; out.unit = r.valueQuantity.unit || r.valueQuantity.code; }
    else if (r.valueCodeableConcept) { out.value = codeText(r.valueCodeableConcept); }
    else if (r.valueString !== undefined) { out.value = r.valueString; }
    else if (r.valueBoolean !== undefined) { out.value = String(r.valueBoolean); }
    out.time = r.effectiveDateTime || r.effectiveInstant || (r.effectivePeriod && r.effectivePeriod.start) || r.issued ||
      r.occurrenceDateTime || r.onsetDateTime || r.authoredOn || r.recordedDate || r.dateAsserted || '';
    out.display = codeText(r.code) || codeText(r.medicationCodeableConcept) || codeText(r.vaccineCode);
    return out;
  }

  // number shows at most three significant digits, without float noise.
  function number(v) {
    if (typeof v !== 'number' || !isFinite(v)) { return v === undefined || v === null ? '' : String(v); }
    if (Number.isInteger(v)) { return String(v); }
    return String(parseFloat(v.toPrecision(3)));
  }

  // displayUnit writes a unit as the cards do (data/labs.json's table).
  function displayUnit(u) {
    var t = state.info && state.info.displayUnits;
    return (t && t[u]) || u;
  }

  // evidenceList renders evidence items, each with its value and unit, its
  // date and the resource it came from (the resource's JSON folded).
  function evidenceList(items, idx, idPrefix) {
    var ul = el('ul', { class: 'evidence' });
    items.forEach(function (e, i) {
      var r = idx[e.reference], f = fromResource(r);
      var value = e.value !== undefined && e.value !== null ? e.value : f.value;
      var unit = e.value !== undefined && e.value !== null ? e.unit : f.unit;
      var time = e.time || f.time;
      var li = el('li', { class: 'evidence-item' },
        el('span', { class: 'ev-display', text: e.display || f.display || e.reference }),
        value !== undefined && value !== '' ? el('span', { class: 'ev-value', text: number(value) + (unit ? ' ' + displayUnit(unit) : '') }) : null,
        time ? el('span', { class: 'ev-date', text: String(time).slice(0, 10) }) : null,
        e.factors && e.factors.length ? el('span', { class: 'ev-factor muted', text: 'for ' + e.factors.join(', ') }) : null);
      if (r) {
        li.appendChild(el('details', { class: 'ev-resource' }, el('summary', { text: e.reference }),
          el('pre', { tabindex: '0', id: idPrefix + '-res-' + i, text: json(r) })));
      } else {
        li.appendChild(el('code', { class: 'ev-resource', text: e.reference }));
      }
      ul.appendChild(li);
    });
    return ul;
  }

  // evidenceOf lists a finding's or a card's evidence once per resource,
  // naming the factors it backs.
  function evidenceOf(x) {
    var ev = [], byRef = {};
    function addEv(e, factor) {
      var have = byRef[e.reference];
      if (!have) { have = byRef[e.reference] = Object.assign({ factors: [] }, e); ev.push(have); }
      if (factor && have.factors.indexOf(factor) < 0) { have.factors.push(factor); }
    }
    (x.evidence || []).forEach(function (e) { addEv(e); });
    (x.factors || []).forEach(function (fa) { (fa.evidence || []).forEach(function (e) { addEv(e, fa.display || fa.id); }); });
    return ev;
  }

  function card(c, i, change) {
    var ind = INDICATORS[c.indicator] || { word: String(c.indicator) };
    var id = 'card-' + i;
    var ext = extOf(c);
    var src = c.source || {};
    var art = el('article', { class: 'card card-' + c.indicator + (change ? ' card-' + change.kind : ''), 'aria-labelledby': id + '-title',
      'data-rule': ext.rule || '', 'data-change': change ? change.kind : null });
    art.appendChild(el('div', { class: 'card-head' },
      el('span', { class: 'indicator indicator-' + c.indicator },
        icon(c.indicator), ' ',
        el('span', { class: 'indicator-word', text: ind.word.toUpperCase() })),
      el('h3', { id: id + '-title', class: 'card-summary', text: c.summary }),
      change ? el('span', { class: 'tag tag-' + change.kind, text: change.text }) : null));
    var parts = splitSources(c.detail, src.url);
    if (parts.detail) {
      var d = el('div', { class: 'card-detail' });
      d.innerHTML = window.lgMarkdown.render(parts.detail); // escaped first; see markdown.js
      art.appendChild(d);
    }
    var ev = evidenceOf(ext);
    if (ev.length) {
      art.appendChild(el('h4', { text: 'Evidence' }));
      art.appendChild(evidenceList(ev, resourceIndex(state.built && state.built.request), id));
    }
    if (src.label) {
      var sp = el('p', { class: 'card-source' }, 'Source: ', link(src.url, src.label));
      parts.others.forEach(function (o) {
        sp.appendChild(document.createTextNode('; also '));
        sp.appendChild(link(o.url, o.label));
        if (o.rest) { sp.appendChild(document.createTextNode(', ' + o.rest)); }
      });
      art.appendChild(sp);
    }
    // A link to the source's own URL would cite it twice.
    var links = (c.links || []).filter(function (l) { return l.url !== src.url; });
    if (links.length) {
      var ul = el('ul', { class: 'card-links' });
      links.forEach(function (l) { ul.appendChild(el('li', {}, link(l.url, l.label))); });
      art.appendChild(el('h4', { text: 'Links' }));
      art.appendChild(ul);
    }
    if (c.suggestions && c.suggestions.length) {
      art.appendChild(el('h4', { text: 'Suggestions' }));
      var sbox = el('div', { class: 'suggestions' });
      c.suggestions.forEach(function (s, j) {
        var pid = id + '-sug-' + j;
        var btn = el('button', { type: 'button', class: 'suggestion', 'aria-expanded': 'false', 'aria-controls': pid },
          s.label, s.isRecommended ? el('span', { class: 'tag tag-on-button', text: 'Recommended' }) : null);
        var panel = el('div', { id: pid, class: 'actions', hidden: true },
          el('p', { text: 'Choosing this suggestion would apply:' }));
        (s.actions || []).forEach(function (a) {
          var target = a.resourceId || (a.resource ? a.resource.resourceType + (a.resource.id ? '/' + a.resource.id : '') : '');
          panel.appendChild(el('p', { class: 'action-line' }, el('strong', { text: a.type }), ' ' + target + (a.description ? ': ' + a.description : '')));
          panel.appendChild(el('pre', { class: 'action-json', tabindex: '0', text: json(a) }));
        });
        btn.addEventListener('click', function () {
          var open = btn.getAttribute('aria-expanded') !== 'true';
          btn.setAttribute('aria-expanded', String(open));
          panel.hidden = !open;
        });
        sbox.appendChild(btn);
        sbox.appendChild(panel);
      });
      art.appendChild(sbox);
    }
    if (c.overrideReasons && c.overrideReasons.length) {
      // EHRs offer these when the clinician dismisses the card; folded so
      // that the guidance stays in view.
      var ol = el('ul', { class: 'override-reasons' });
      c.overrideReasons.forEach(function (r) { ol.appendChild(el('li', { text: (r.display || r.code) + ' (' + r.code + ')' })); });
      art.appendChild(el('details', { class: 'override' }, el('summary', { text: 'Override reasons (' + c.overrideReasons.length + ')' }), ol));
    }
    art.appendChild(el('p', { class: 'card-meta muted' }, 'Rule ', el('code', { text: ext.rule || '?' }),
      ext.order ? ' on ' + ext.order : '', ext.policyRevision ? ' · revision ' + ext.policyRevision : ''));
    return art;
  }

  function renderWhy(ex) {
    var box = $('why');
    clear(box);
    box.appendChild(el('p', {}, 'Evaluated by ', el('code', { text: ex.serviceId }), ' at ' + ex.now + ' with revision ', el('code', { text: ex.revision }), '.'));
    if (ex.noOrderOfInterest) {
      box.appendChild(el('p', { text: 'No order of interest: the service answered at once without evaluating any rule.' }));
    }
    if (!ex.fired.length && !ex.noOrderOfInterest) {
      box.appendChild(el('p', { text: 'No rule fired.' }));
    }
    var idx = resourceIndex(state.built && state.built.request);
    Object.keys(ex.resources || {}).forEach(function (k) { if (!idx[k]) { idx[k] = ex.resources[k]; } });
    ex.fired.forEach(function (f, n) {
      var ind = INDICATORS[f.indicator] || { word: f.indicator };
      var sec = el('div', { class: 'fired' });
      sec.appendChild(el('h3', {}, el('code', { text: f.rule }), ' ' + (f.title || '')));
      sec.appendChild(el('p', {}, el('strong', { text: ind.word.toUpperCase() + ': ' }), f.summary));
      if (f.order) { sec.appendChild(el('p', { text: 'Order: ' + f.order })); }
      if (f.source && f.source.url) {
        sec.appendChild(el('p', {}, 'Source: ', link(f.source.url, f.source.label + (f.source.section ? ' ' + f.source.section : ''))));
      }
      if (f.locations && f.locations.length) { sec.appendChild(el('p', { class: 'muted', text: 'Rego: ' + f.locations.join(', ') })); }
      if (f.factors && f.factors.length) {
        sec.appendChild(el('h4', { text: 'Factors' }));
        var fl = el('ul');
        f.factors.forEach(function (fa) { fl.appendChild(el('li', { text: fa.display || fa.id })); });
        sec.appendChild(fl);
      }
      sec.appendChild(el('h4', { text: 'Evidence' }));
      var ev = evidenceOf(f);
      if (!ev.length) {
        sec.appendChild(el('p', { class: 'muted', text: 'No resource: the rule fired on what is missing or on the order itself.' }));
      } else {
        sec.appendChild(evidenceList(ev, idx, 'why-' + n));
      }
      box.appendChild(sec);
    });
    if (ex.input) {
      box.appendChild(el('details', { class: 'policy-input' }, el('summary', { text: 'Policy input (the facts the rules saw)' }),
        el('pre', { tabindex: '0', text: json(ex.input) })));
    }
  }

  function renderWhyError(e) {
    var box = $('why');
    clear(box);
    box.appendChild(el('p', { class: 'error', text: 'The explanation failed: ' + e.message }));
  }

  // ---- copy --------------------------------------------------------------

  function copy(what, label) {
    var text = json(what);
    var done = function () { setStatus('copy-status', label + ' copied as JSON.'); };
    var fallback = function () {
      var ta = el('textarea', { class: 'visually-hidden', 'aria-hidden': 'true', tabindex: '-1' });
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) { done(); } else { setStatus('copy-status', 'Copy is blocked here: open "Request and response JSON" and copy from there.', true); }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else { fallback(); }
  }

  // ---- start -------------------------------------------------------------

  $('sample').addEventListener('change', sampleChanged);
  $('upload').addEventListener('change', uploadChanged);
  $('hook').addEventListener('change', hookChanged);
  $('drug').addEventListener('change', drugChanged);
  $('as-of').addEventListener('change', asOfChanged);
  $('as-of-now').addEventListener('click', function () { $('as-of').value = ''; asOfChanged(); });
  $('order-form').addEventListener('submit', run);
  $('copy-request').addEventListener('click', function () { if (state.built) { copy(state.built.request, 'Request'); } });
  $('copy-response').addEventListener('click', function () { if (state.response) { copy(state.response, 'Response'); } });
  var infoLoaded = loadInfo().catch(function (e) { $('revision').textContent = 'unavailable (' + e.message + ')'; });
  Promise.all([infoLoaded, loadSamples()]).then(function () { document.body.setAttribute('data-ready', 'true'); });
})();
