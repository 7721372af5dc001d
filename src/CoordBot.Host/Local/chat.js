// The local chat page: posts what you type (or the button / form you use) to /local/messages and
// shows the reply cards, which the server renders as HTML with every piece of user text escaped.
(() => {
  const log = document.getElementById('log');
  const userInput = document.getElementById('user');
  const text = document.getElementById('text');
  let lastProactive = 0;

  userInput.value = localStorage.getItem('coordbot.user') || 'me';
  userInput.addEventListener('change', () => {
    localStorage.setItem('coordbot.user', userInput.value.trim());
    lastProactive = 0;
  });

  const user = () => userInput.value.trim() || 'me';

  function add(node) {
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
  }

  function showMine(label) {
    const div = document.createElement('div');
    div.className = 'msg mine';
    const who = document.createElement('div');
    who.className = 'who';
    who.textContent = user();
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    bubble.textContent = label;
    div.append(who, bubble);
    add(div);
  }

  function showReply(reply, from) {
    const div = document.createElement('div');
    div.className = 'msg bot';
    const who = document.createElement('div');
    who.className = 'who';
    who.textContent = from;
    const body = document.createElement('div');
    body.innerHTML = reply.html; // rendered and escaped server-side by HtmlRenderer
    div.append(who, body);
    add(div);
  }

  function showFailure(message) {
    const div = document.createElement('div');
    div.className = 'msg failure';
    div.textContent = message;
    add(div);
  }

  async function send(payload, label) {
    showMine(label);
    try {
      const response = await fetch('/local/messages', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: user(), ...payload }),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { showFailure(data.error || `The server answered ${response.status}.`); return; }
      for (const reply of data.replies) showReply(reply, 'CoordBot');
    } catch (e) {
      showFailure('Could not reach CoordBot: ' + e.message);
    }
  }

  const fileInput = document.getElementById('files');
  const attached = document.getElementById('attached');
  fileInput.addEventListener('change', () => {
    attached.textContent = [...fileInput.files].map((f) => f.name).join(', ');
  });

  // As in Slack: a .csv, .ics or .txt file's text goes on the lines after the command; Open States
  // .yml files and zips travel as files (base64), read by ally import --format openstates.
  const asFile = (name) => /\.(ya?ml|zip)$/i.test(name);
  const base64 = (buffer) => {
    let binary = '';
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };

  document.getElementById('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    let value = text.value.trim();
    const chosen = [...fileInput.files];
    if (!value && chosen.length === 0) return;
    const files = [];
    for (const file of chosen) {
      if (asFile(file.name)) files.push({ name: file.name, content: base64(await file.arrayBuffer()) });
      else value += '\n' + await file.text();
    }
    const label = chosen.length ? `${text.value.trim()} [${chosen.map((f) => f.name).join(', ')}]` : value;
    text.value = '';
    fileInput.value = '';
    attached.textContent = '';
    send(files.length ? { text: value, files } : { text: value }, label);
  });

  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      document.getElementById('composer').requestSubmit();
    }
  });

  log.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const action = JSON.parse(button.dataset.action);
    send({ value: { command: action.command, args: action.args || {} } }, `[${button.textContent}]`);
  });

  log.addEventListener('submit', (e) => {
    const form = e.target.closest('form[data-command]');
    if (!form) return;
    e.preventDefault();
    const args = {};
    for (const [name, value] of new FormData(form)) args[name] = String(value);
    form.querySelectorAll('input, select, textarea, button').forEach((el) => { el.disabled = true; });
    send({ value: { command: form.dataset.command, args } }, `[${form.querySelector('h4').textContent}]`);
  });

  async function poll() {
    try {
      const response = await fetch(`/local/messages?user=${encodeURIComponent(user())}&after=${lastProactive}`);
      if (response.ok) {
        const data = await response.json();
        for (const reply of data.replies) {
          lastProactive = Math.max(lastProactive, reply.id);
          showReply(reply, 'CoordBot (scheduled)');
        }
      }
    } catch { /* the next poll tries again */ }
    setTimeout(poll, 3000);
  }
  poll();
})();
