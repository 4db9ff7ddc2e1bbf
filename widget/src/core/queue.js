/* Delivery queue: every answer and event goes into localStorage (QUEUE_KEY) first, so
 * it survives a failed request, a closed tab or going offline; the next page load
 * resends it (the collector ignores a client_id it already has). */
import { ANSWER, EVENT, localStore, QUEUE_KEY, read, write } from "./storage.js";
import { post } from "./transport.js";
import { now, safe } from "./util.js";

const MAX_ITEMS = 200; // kept in the queue; the oldest go first
const MAX_AGE_MS = 6048e5; // a week: what could not be delivered by then is dropped
const BATCH = { [ANSWER]: 50, [EVENT]: 100 }; // per request, as the collector accepts them

const inFlight = {}; // client_id -> 1 while a fetch carries it
let flushTimer;

const readQueue = () => read(localStore, QUEUE_KEY) || [];
const writeQueue = (items) => write(localStore, QUEUE_KEY, items);

const drop = (ids) =>
  writeQueue(readQueue().filter(([, body]) => !ids.includes(body.client_id)));

const send = (type, items, leaving) => {
  const ids = items.map((item) => item.client_id);
  const sent = post(type, items, leaving);
  if (!sent) return;
  ids.forEach((id) => (inFlight[id] = 1));
  sent.then((done) => done && drop(ids)).then(() => ids.forEach((id) => delete inFlight[id]));
};

/* Queues an answer (ANSWER) or event (EVENT) and sends it soon, batched with its neighbours. */
export const enqueue = (type, body) => {
  const queue = readQueue();
  queue.push([type, body, now()]);
  writeQueue(queue.slice(-MAX_ITEMS));
  clearTimeout(flushTimer);
  flushTimer = setTimeout(safe(flush), 30);
  if (!localStore) send(type, [body]); // no storage: best effort, straight away
};

/* Sends everything queued and not already on its way; `leaving`: the page is being left.
 * Each item goes with its age, so the collector dates it when it happened, not when it
 * arrived (by the visitor's clock neither: only a difference is sent). */
export const flush = (leaving) => {
  const start = now();
  const all = readQueue();
  const queue = all.filter(([, , queuedAt]) => !(start - queuedAt > MAX_AGE_MS));
  if (queue.length < all.length) writeQueue(queue);
  [ANSWER, EVENT].forEach((type) => {
    const items = queue
      .filter(([itemType, body]) => itemType == type && !inFlight[body.client_id])
      .map(([, body, queuedAt]) => (queuedAt ? Object.assign({ age_ms: Math.max(0, start - queuedAt) }, body) : body));
    for (let i = 0; i < items.length; i += BATCH[type]) send(type, items.slice(i, i + BATCH[type]), leaving);
  });
};
