// The API token of this tab: asked for when the service answers 401, kept in sessionStorage only.

const KEY = 'fetchd.token';
let pending = null;

export function token() {
  return sessionStorage.getItem(KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
  updateForgetButton();
}

export function updateForgetButton() {
  document.getElementById('forget-token').hidden = !token();
}

/** Shows the token dialog (once, however many calls wait) and resolves when a token was entered. */
export function askToken(reason) {
  if (pending) {
    return pending;
  }
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-reason').textContent = reason || 'This fetchd needs a token to show its jobs.';
  input.value = '';
  pending = new Promise((resolve) => {
    const done = () => {
      const value = input.value.trim();
      if (!value) {
        // closed with Escape: ask again, nothing can be shown without a token
        dialog.showModal();
        return;
      }
      sessionStorage.setItem(KEY, value);
      dialog.removeEventListener('close', done);
      pending = null;
      updateForgetButton();
      resolve(value);
    };
    dialog.addEventListener('close', done);
  });
  if (!dialog.open) {
    dialog.showModal();
  }
  input.focus();
  return pending;
}
