// The drawing page of `skmnist serve`. No library, nothing fetched but this server.
//
// The pad is a white canvas drawn on in black with pointer events (mouse, touch and
// pen alike). Each change bumps a version number; the pad is sent as a PNG to
// POST /predict, with at most one request on its way: when it comes back and the
// pad has changed since, the newest pad goes next. An answer is shown only if it is
// for the pad's current version. The server prepares the image exactly as
// `skmnist predict` prepares files, and sends back the image it classified (28x28
// for MNIST: the size the model takes).
"use strict";

(() => {
  const pad = document.getElementById("pad");
  const ink = pad.getContext("2d");
  const seen = document.getElementById("seen");
  const result = document.getElementById("result");
  const status = document.getElementById("status");
  const predictionText = document.getElementById("prediction");
  const confidenceText = document.getElementById("confidence");
  const photoInput = document.getElementById("photo");
  const barBox = document.getElementById("bars");

  let version = 0; // bumped on every change of the pad
  let hasInk = false; // something drawn since the last clear
  let showingPhoto = false; // the pad shows an uploaded photo, not a drawing
  let stroke = null; // {id, last} while a pointer draws
  let busy = false; // a request for the pad is on its way
  let bars = null; // {classes, rows}

  function setState(state, message) {
    document.body.dataset.state = state;
    if (message !== undefined) status.textContent = message;
  }

  function bump() {
    version += 1;
    pad.dataset.version = String(version);
  }

  // -- drawing --------------------------------------------------------------------

  function clearPad() {
    ink.fillStyle = "#fff";
    ink.fillRect(0, 0, pad.width, pad.height);
    hasInk = false;
    showingPhoto = false;
    bump();
    showNothing();
  }

  function point(event) {
    const box = pad.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * pad.width) / box.width,
      y: ((event.clientY - box.top) * pad.height) / box.height,
    };
  }

  function lineWidth(event) {
    // 1/14 of the pad: once the digit is scaled to 20 pixels, as thick as MNIST's
    const base = pad.width / 14;
    if (event.pointerType === "pen" && event.pressure > 0) {
      return base * (0.5 + event.pressure); // 0.5 is "no pressure reported"
    }
    return base;
  }

  function segment(from, to, width) {
    if (from.x === to.x && from.y === to.y) {
      // canvases draw no cap on a zero-length line: a dot is a disc
      ink.fillStyle = "#000";
      ink.beginPath();
      ink.arc(to.x, to.y, width / 2, 0, 2 * Math.PI);
      ink.fill();
      return;
    }
    ink.strokeStyle = "#000";
    ink.lineWidth = width;
    ink.lineCap = "round";
    ink.lineJoin = "round";
    ink.beginPath();
    ink.moveTo(from.x, from.y);
    ink.lineTo(to.x, to.y);
    ink.stroke();
  }

  function drawn() {
    hasInk = true;
    bump();
    predictPad();
  }

  pad.addEventListener("pointerdown", (event) => {
    if (stroke || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    if (showingPhoto) clearPad();
    pad.setPointerCapture(event.pointerId);
    pad.dataset.pointer = event.pointerType; // "mouse", "touch" or "pen"
    const here = point(event);
    stroke = { id: event.pointerId, last: here };
    segment(here, here, lineWidth(event)); // a tap leaves a dot
    drawn();
  });

  pad.addEventListener("pointermove", (event) => {
    if (!stroke || event.pointerId !== stroke.id) return;
    event.preventDefault();
    const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const each of coalesced.length ? coalesced : [event]) {
      const here = point(each);
      segment(stroke.last, here, lineWidth(each));
      stroke.last = here;
    }
    drawn();
  });

  function endStroke(event) {
    if (stroke && event.pointerId === stroke.id) stroke = null;
  }
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);
  pad.addEventListener("contextmenu", (event) => event.preventDefault());

  document.getElementById("clear").addEventListener("click", clearPad);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") clearPad();
  });

  // -- asking the server ----------------------------------------------------------

  function predictPad() {
    if (busy || !hasInk || showingPhoto) return; // the answer's arrival asks again
    busy = true;
    const sent = version;
    setState("waiting");
    pad.toBlob((png) => {
      ask(png, "image/png", sent, "your drawing").finally(() => {
        busy = false;
        if (version !== sent) predictPad(); // drawn on meanwhile: the newest pad next
      });
    }, "image/png");
  }

  async function ask(body, type, sent, what) {
    const request = { method: "POST", body };
    if (type) request.headers = { "Content-Type": type };
    let answer;
    let ok = false;
    try {
      const response = await fetch("/predict", request);
      ok = response.ok;
      answer = await response.json();
    } catch (error) {
      answer = { error: `no answer from the server (${error.message})` };
    }
    if (sent !== version) return; // the pad changed: this answer is stale
    if (ok) show(answer, sent, what);
    else showError(answer.error || "the server refused the image", sent);
  }

  photoInput.addEventListener("change", () => {
    const file = photoInput.files[0];
    if (!file) return;
    photoInput.value = ""; // choosing the same file again fires "change" again
    hasInk = false;
    showingPhoto = true;
    bump();
    const sent = version;
    drawPhoto(file);
    const form = new FormData();
    form.append("image", file, file.name);
    setState("waiting", `Reading ${file.name}…`);
    ask(form, null, sent, file.name);
  });

  function drawPhoto(file) {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => {
      ink.fillStyle = "#fff";
      ink.fillRect(0, 0, pad.width, pad.height);
      const scale = Math.min(pad.width / image.width, pad.height / image.height);
      const w = image.width * scale;
      const h = image.height * scale;
      ink.drawImage(image, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
      URL.revokeObjectURL(url);
    };
    image.onerror = () => URL.revokeObjectURL(url);
    image.src = url;
  }

  // -- showing the answer ---------------------------------------------------------

  function percent(p) {
    return `${(100 * p).toFixed(1)} %`;
  }

  function show(answer, sent, what) {
    predictionText.textContent = String(answer.prediction_name ?? answer.prediction);
    confidenceText.textContent = percent(answer.probability);
    drawSeen(answer.image);
    showBars(namesOf(answer), answer.probabilities, answer.prediction_name ?? answer.prediction);
    result.dataset.version = String(sent);
    setState("done", `Prediction for ${what}. Draw on, or Clear to start again.`);
  }

  function showError(message, sent) {
    predictionText.textContent = "?";
    confidenceText.textContent = "";
    drawSeen(null);
    showBars(bars ? bars.classes : [], null, null);
    result.dataset.version = String(sent);
    setState("error", message);
  }

  function showNothing() {
    predictionText.textContent = "–";
    confidenceText.textContent = "";
    drawSeen(null);
    if (bars) showBars(bars.classes, null, null);
    result.dataset.version = String(version);
    setState("idle", "Draw one digit, large, in the middle.");
  }

  // the classes' names (Fashion-MNIST's "Trouser"...), else their labels
  function namesOf(described) {
    return described.class_names || described.classes.map(String);
  }

  function drawSeen(image) {
    if (image && (image.length !== seen.height || image[0].length !== seen.width)) {
      seen.height = image.length; // the size the model takes, not always 28x28
      seen.width = image[0].length;
    }
    const context = seen.getContext("2d");
    const pixels = context.createImageData(seen.width, seen.height);
    for (let i = 0; i < seen.width * seen.height; i += 1) {
      const value = image ? image[Math.floor(i / seen.width)][i % seen.width] : 0;
      pixels.data.set([value, value, value, 255], 4 * i);
    }
    context.putImageData(pixels, 0, 0);
  }

  function showBars(classes, probabilities, best) {
    if (!bars || bars.classes.join() !== classes.join()) buildBars(classes);
    bars.rows.forEach((row, i) => {
      const p = probabilities ? probabilities[i] : 0;
      row.fill.style.width = `${(100 * p).toFixed(2)}%`;
      row.value.textContent = probabilities ? percent(p) : "";
      row.fill.parentElement.setAttribute("aria-valuenow", (100 * p).toFixed(1));
      const isBest = probabilities !== null && String(classes[i]) === String(best);
      for (const part of [row.label, row.fill.parentElement, row.value]) {
        part.classList.toggle("best", isBest);
      }
    });
  }

  function buildBars(classes) {
    barBox.replaceChildren();
    const rows = classes.map((name) => {
      const label = document.createElement("span");
      label.className = "bar-label";
      label.textContent = String(name);
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.setAttribute("role", "meter");
      bar.setAttribute("aria-label", `probability of ${name}`);
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      const fill = document.createElement("div");
      fill.className = "bar-fill";
      bar.append(fill);
      const value = document.createElement("span");
      value.className = "bar-value";
      barBox.append(label, bar, value);
      return { label, fill, value };
    });
    bars = { classes: classes.slice(), rows };
  }

  // -- start ----------------------------------------------------------------------

  async function describeModel() {
    try {
      const model = await (await fetch("/model")).json();
      const parts = [model.family];
      const training = model.training || {};
      if (training.accuracy !== null && training.accuracy !== undefined) {
        parts.push(`training accuracy ${percent(training.accuracy)}`);
      }
      if (training.validation_accuracy !== null && training.validation_accuracy !== undefined) {
        parts.push(`validation accuracy ${percent(training.validation_accuracy)}`);
      }
      if (model.source) parts.push(model.source.split(/[\\/]/).pop());
      document.getElementById("model-line").textContent = parts.join(" · ");
      const versions = Object.entries(model.versions || {})
        .filter(([, v]) => v)
        .map(([name, v]) => `${name} ${v}`);
      document.getElementById("versions").textContent = versions.join(" · ");
      if (!bars) showBars(namesOf(model), null, null);
    } catch (error) {
      document.getElementById("model-line").textContent = "Model details unavailable.";
    }
  }

  clearPad();
  describeModel();
})();
