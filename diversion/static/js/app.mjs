// Progressive enhancement only: every page works without this file.
import { initAll } from "/assets/govuk-frontend.min.js";

initAll();

// Sessions end after a spell without activity. Five minutes before that, offer to stay signed in, so that a
// worker halfway through an assessment does not lose what she has typed.
const WARN_BEFORE_SECONDS = 5 * 60;

function sessionTimeoutWarning() {
  const body = document.body;
  const timeout = Number(body.dataset.sessionTimeout || 0);
  const keepAliveUrl = body.dataset.keepAliveUrl;
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!timeout || !keepAliveUrl || !token || typeof HTMLDialogElement === "undefined") {
    return;
  }
  const dialog = document.createElement("dialog");
  dialog.className = "app-timeout-dialog";
  dialog.setAttribute("aria-labelledby", "timeout-heading");
  dialog.innerHTML = `
    <h2 class="govuk-heading-m" id="timeout-heading">You will be signed out soon</h2>
    <p class="govuk-body" id="timeout-message">To protect the information here, you will be signed out in 5 minutes.
      Anything you have typed but not saved will be lost.</p>
    <button type="button" class="govuk-button" data-module="govuk-button" id="timeout-stay">Stay signed in</button>`;
  body.appendChild(dialog);
  let timer;
  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => dialog.showModal(), (timeout - WARN_BEFORE_SECONDS) * 1000);
  };
  dialog.querySelector("#timeout-stay").addEventListener("click", async () => {
    const response = await fetch(keepAliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token.content },
      credentials: "same-origin",
    });
    if (response.ok) {
      dialog.close();
      schedule();
    } else {
      dialog.querySelector("#timeout-message").textContent =
        "You have been signed out. Copy anything you need from this page before you sign in again.";
    }
  });
  schedule();
}

sessionTimeoutWarning();
