// Progressive enhancement only: every page works without this file.
import { initAll } from "/assets/govuk-frontend.min.js";

initAll();

// Sessions end after a spell without activity, or on another device ("sign out everywhere"). The page keeps what
// she has typed through both (docs/sessions.md): five minutes before the idle timeout it offers to stay signed in;
// before sending a form it asks the server whether the session is still there; when it is not, the dialog says so
// and offers sign-in in a new tab, and once she has signed in again the page takes the new session's CSRF token, so
// that Save works with nothing lost. The session endpoints answer in JSON (401 when signed out) and are never
// followed through a redirect.
const WARN_BEFORE_SECONDS = 5 * 60;
// A form sent within this long of the last word from the server goes straight away; after it, the page asks first.
const FRESH_MILLISECONDS = 60 * 1000;
const ASK_TIMEOUT_MILLISECONDS = 10 * 1000;

// The words the script shows, in the page's language: the page gives them (templates/macros/script_words.html), so
// that they come from the same catalogue as the page's own words (docs/languages.md); English when it gives none.
const WORDS = (() => {
  try {
    return JSON.parse(document.getElementById("app-words")?.textContent || "{}");
  } catch {
    return {};
  }
})();
const say = (key, english) => WORDS[key] || english;

const MESSAGES = {
  warn: {
    heading: say("warn.heading", "You will be signed out soon"),
    text: say(
      "warn.text",
      "To protect the information here, you will be signed out in 5 minutes. Stay signed in to keep working on this page.",
    ),
  },
  "signed-out": {
    heading: say("signed-out.heading", "You have been signed out"),
    text: say(
      "signed-out.text",
      "What you typed on this page is still here. Sign in again in a new tab, then come back to this tab and save it.",
    ),
  },
  "other-user": {
    heading: say("other-user.heading", "Someone else is signed in"),
    text: say(
      "other-user.text",
      "Another account has signed in to this browser, so what you typed on this page cannot be saved from here. Sign in again as yourself in a new tab, then come back to this tab and save it.",
    ),
  },
  back: {
    heading: say("back.heading", "You are signed in again"),
    text: say("back.text", "Nothing you typed on this page has been lost. You can save it now."),
  },
};
const UNREACHABLE = say("unreachable", "The service could not be reached. Check your connection and try again.");

function sessionGuard() {
  const body = document.body;
  const { sessionTimeout, keepAliveUrl, sessionUrl, signInUrl, userId } = body.dataset;
  const timeout = Number(sessionTimeout || 0);
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!timeout || !keepAliveUrl || !sessionUrl || !signInUrl || !meta || typeof HTMLDialogElement === "undefined") {
    return;
  }
  const signInHref = `${signInUrl}?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
  const dialog = document.createElement("dialog");
  dialog.className = "app-timeout-dialog";
  dialog.setAttribute("aria-labelledby", "timeout-heading");
  dialog.setAttribute("aria-describedby", "timeout-message");
  dialog.innerHTML = `
    <h2 class="govuk-heading-m" id="timeout-heading" tabindex="-1"></h2>
    <p class="govuk-body" id="timeout-message"></p>
    <p class="govuk-body" id="timeout-status" role="status"></p>
    <div class="govuk-button-group">
      <button type="button" class="govuk-button" data-module="govuk-button" id="timeout-stay">Stay signed in</button>
      <a class="govuk-button" data-module="govuk-button" id="timeout-sign-in" target="_blank" rel="noopener">Sign in again (opens in a new tab)</a>
      <button type="button" class="govuk-button govuk-button--secondary" data-module="govuk-button" id="timeout-check">I have signed in again</button>
      <button type="button" class="govuk-button" data-module="govuk-button" id="timeout-continue">Continue</button>
    </div>`;
  body.appendChild(dialog);
  const part = (id) => dialog.querySelector(`#${id}`);
  part("timeout-sign-in").href = signInHref;
  part("timeout-stay").textContent = say("stay", "Stay signed in");
  part("timeout-sign-in").textContent = say("sign-in", "Sign in again (opens in a new tab)");
  part("timeout-check").textContent = say("check", "I have signed in again");
  part("timeout-continue").textContent = say("continue", "Continue");

  let state = "signed-in";
  let lastContact = performance.now();
  let timer;

  const show = (next) => {
    state = next;
    const words = MESSAGES[next];
    part("timeout-heading").textContent = words.heading;
    part("timeout-message").textContent = words.text;
    part("timeout-status").textContent = "";
    const signedOut = next === "signed-out" || next === "other-user";
    const hide = (id, hidden) => part(id).classList.toggle("govuk-!-display-none", hidden);
    hide("timeout-stay", next !== "warn");
    hide("timeout-sign-in", !signedOut);
    hide("timeout-check", !signedOut);
    hide("timeout-continue", next !== "back");
    if (!dialog.open) {
      dialog.showModal();
    }
    part("timeout-heading").focus();
  };

  const schedule = (seconds = timeout) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => show("warn"), Math.max(seconds - WARN_BEFORE_SECONDS, 0) * 1000);
  };

  const useToken = (token) => {
    meta.content = token;
    for (const input of document.querySelectorAll('input[name="csrf_token"]')) {
      input.value = token;
    }
  };

  // Ask the server about the session: "signed-in", "signed-out", "other-user", or "unknown" (no answer, or not one
  // of ours). A redirect is an error here, never followed to the sign-in page's 200.
  const ask = async (url, options = {}) => {
    const controller = new AbortController();
    const giveUp = window.setTimeout(() => controller.abort(), ASK_TIMEOUT_MILLISECONDS);
    try {
      const response = await fetch(url, {
        ...options,
        headers: { Accept: "application/json", ...(options.headers || {}) },
        credentials: "same-origin",
        redirect: "error",
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.status === 401) {
        return "signed-out";
      }
      if (!response.ok) {
        return "unknown";
      }
      const answer = await response.json();
      if (answer.signed_in !== true) {
        return "unknown";
      }
      if (String(answer.user) !== userId) {
        return "other-user";
      }
      useToken(answer.csrf_token);
      state = "signed-in";
      lastContact = performance.now();
      schedule(Number(answer.idle_timeout_seconds) || timeout);
      return "signed-in";
    } catch {
      return "unknown";
    } finally {
      window.clearTimeout(giveUp);
    }
  };

  const check = () => ask(sessionUrl);

  const settle = (result, { closeWhenSignedIn }) => {
    if (result === "signed-out" || result === "other-user") {
      show(result);
    } else if (result === "signed-in") {
      if (closeWhenSignedIn) {
        dialog.close();
      } else {
        show("back");
      }
    }
  };

  part("timeout-stay").addEventListener("click", async () => {
    let result = await ask(keepAliveUrl, { method: "POST", headers: { "X-CSRFToken": meta.content } });
    if (result === "unknown") {
      // A token from before she signed in again in another tab is refused: the session check brings the new one.
      result = await check();
    }
    if (result === "unknown") {
      part("timeout-status").textContent = UNREACHABLE;
      return;
    }
    settle(result, { closeWhenSignedIn: true });
  });

  part("timeout-check").addEventListener("click", async () => {
    const result = await check();
    if (result === "signed-in") {
      show("back");
    } else if (result === "unknown") {
      part("timeout-status").textContent = UNREACHABLE;
    } else {
      show(result);
      part("timeout-status").textContent =
        result === "signed-out"
          ? say("still-signed-out", "You are still signed out.")
          : say("still-other-user", "Someone else is still signed in.");
    }
  });

  part("timeout-continue").addEventListener("click", () => dialog.close());

  // Back in this tab after signing in in another: find out at once.
  const recheck = async () => {
    if (document.visibilityState === "visible" && (state === "signed-out" || state === "other-user")) {
      const result = await check();
      if (result === "signed-in") {
        show("back");
      }
    }
  };
  document.addEventListener("visibilitychange", recheck);
  window.addEventListener("focus", recheck);

  // Before a form goes, make sure there is a session to take it: sent without one, it would land on the sign-in
  // page and what she typed would be gone.
  const checked = new WeakSet();
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method !== "post" || form.classList.contains("app-sign-out")) {
      return;
    }
    if (checked.has(form)) {
      checked.delete(form);
      return;
    }
    const signedOut = state === "signed-out" || state === "other-user";
    if (!signedOut && performance.now() - lastContact < FRESH_MILLISECONDS) {
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    const result = await check();
    if (result === "signed-out" || result === "other-user") {
      show(result);
      return;
    }
    checked.add(form);
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
  });

  schedule();
}

sessionGuard();

// Drafts (docs/drafts.md): a form marked with data-draft-url is saved to the server as a draft while she types,
// every data-draft-seconds (20) and whenever a field loses focus, if anything changed since the last save. The draft
// is encrypted there and offered back when she opens the form again. Without this script the form's "Save draft"
// button does the same by a plain submit.
function draftKeeper() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  for (const form of document.querySelectorAll("form[data-draft-url]")) {
    const url = form.dataset.draftUrl;
    const every = Number(form.dataset.draftSeconds || 20) * 1000;
    const status = form.querySelector("[data-draft-status]");
    // What the form holds, leaving out the session's token (it changes when she signs in again, her answers do not).
    const answers = () => {
      const data = new FormData(form);
      data.delete("csrf_token");
      return new URLSearchParams(data).toString();
    };
    let kept = answers();
    let busy = false;
    const tell = (text) => {
      if (status) {
        status.textContent = text;
      }
    };
    const save = async () => {
      const now = answers();
      if (busy || now === kept) {
        return;
      }
      busy = true;
      try {
        const response = await fetch(url, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json", "X-CSRFToken": meta ? meta.content : "" },
          credentials: "same-origin",
          redirect: "error",
          cache: "no-store",
        });
        if (response.ok) {
          kept = now;
          const answer = await response.json();
          tell(answer.message || say("draft-saved", "Draft saved."));
        } else if (response.status === 401) {
          tell(
            say(
              "draft-signed-out",
              "Your draft could not be saved because you have been signed out. What you typed is still on this page.",
            ),
          );
        }
      } catch {
        // No connection: what she typed stays on the page, and the next save tries again.
      } finally {
        busy = false;
      }
    };
    window.setInterval(save, every);
    // A field losing focus saves a moment later, so that pressing Save (which takes the focus first) sends the form
    // alone and no draft of it arrives after the form was saved.
    let soon;
    form.addEventListener("focusout", (event) => {
      if (event.target instanceof HTMLElement && event.target.matches("input, textarea, select")) {
        window.clearTimeout(soon);
        soon = window.setTimeout(save, 1000);
      }
    });
    form.addEventListener("submit", () => {
      window.clearTimeout(soon);
      kept = answers();
    });
  }
}

draftKeeper();
