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

  document.getElementById('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    text.value = '';
    send({ text: value }, value);
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
