// Verdicts on the phone while it is offline: the rule engine's door rules (bot/domain/rules.py `judge`),
// applied to the door roster the page keeps (bot/services/roster.py says what it holds and why).
//
// `judge` mirrors the Python engine rule for rule, in the same order, for what a door does (a scan or
// a typed code, checking in); tests/test_scanner_offline.py runs both over the same table of cases so
// they cannot drift apart. A verdict from here is provisional: the page queues the scan as before and
// the server's verdict, when the connection is back, is final.
//
// SHA-256 is the page's own (below), not crypto.subtle: that one exists only in a secure context
// (https, or http://127.0.0.1) and answers asynchronously, so two quick scans could be queued out of
// order. Hashing a badge code here takes a few microseconds.
"use strict";

const DoorRules = (() => {
  const SCANNER_METHODS = new Set(["scan", "manual"]);
  const TOKEN_PREFIX = "B1:"; // bot/domain/badges.py PREFIX
  const HASH_HEX = 32; // bot/services/roster.py HASH_HEX
  const REGISTERED = 1;
  const TARGETED = 2;

  // ------------------------------------------------------------ the engine's rules

  function allowedIn(situation) {
    if (situation.registered) return true;
    return situation.acl_mode === "include" && situation.targeted;
  }

  // rules.judge for a scanner's IN attempt; times are milliseconds since 1970.
  function judge(attempt, situation) {
    if (!SCANNER_METHODS.has(attempt.method)) throw new Error("the door judges scans and typed codes");
    if (!attempt.scanner_permitted) return { reason: "scanner_not_permitted" };
    if (attempt.code_status === "invalid") return { reason: "invalid_code" };
    if (attempt.code_status === "revoked") return { reason: "revoked" };
    if (attempt.code_status !== "valid") throw new Error("a scan needs a code status");
    if (attempt.direction !== "IN") throw new Error("only a PIN can check out");
    if (!situation) throw new Error("the remaining rules need the attendee's situation at the session");

    if (situation.window && !attempt.override) {
      if (situation.now < situation.window.opens) return { reason: "too_early", window_at: situation.window.opens };
      if (situation.now > situation.window.closes) return { reason: "closed", window_at: situation.window.closes };
    }
    if (!attempt.override) {
      if (situation.access_control && !allowedIn(situation)) return { reason: "not_registered" };
      if (situation.capacity !== null && situation.others_inside >= situation.capacity) {
        return { reason: "session_full" };
      }
    }
    if (situation.last_direction === "IN") return { reason: "already_checked_in", earlier_at: situation.last_at };
    return { reason: "ok" };
  }

  // ------------------------------------------------------------ SHA-256 (FIPS 180-4)

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function sha256(text) {
    const data = new TextEncoder().encode(text);
    const blocks = Math.ceil((data.length + 9) / 64);
    const bytes = new Uint8Array(blocks * 64);
    bytes.set(data);
    bytes[data.length] = 0x80;
    const bits = data.length * 8;
    const view = new DataView(bytes.buffer);
    view.setUint32(bytes.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(bytes.length - 4, bits >>> 0);
    const h = new Uint32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]);
    const w = new Uint32Array(64);
    for (let block = 0; block < blocks; block++) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(block * 64 + i * 4);
      for (let i = 16; i < 64; i++) {
        const a = w[i - 15], b = w[i - 2];
        const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
      }
      let [a, b, c, d, e, f, g, k] = h;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        k = g;
        g = f;
        f = e;
        e = (d + t1) >>> 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) >>> 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
    }
    return Array.from(h, (x) => x.toString(16).padStart(8, "0")).join("");
  }

  // bot/services/roster.py code_hash: the code as the engine reads it (trimmed, upper case).
  function codeHash(salt, code) {
    return sha256(`${salt}:${code.trim().toUpperCase()}`).slice(0, HASH_HEX);
  }

  // ------------------------------------------------------------ the roster

  // The roster as the server sends it (scanner_api `roster`), with look-up tables.
  function indexRoster(data) {
    const byHash = new Map();
    const byId = new Map();
    for (const [hash, id, name, flags] of data.people) {
      const person = { id, name, registered: Boolean(flags & REGISTERED), targeted: Boolean(flags & TARGETED) };
      byHash.set(hash, person);
      byId.set(id.toUpperCase(), person);
    }
    const inside = new Map(data.inside_since.map(([id, since]) => [id.toUpperCase(), since]));
    return { data, byHash, byId, revoked: new Set(data.revoked), inside, count: data.inside };
  }

  // A verdict for `code` (read by the camera, or `typed`) at `now`, from the roster and `pending`: the
  // phone's own accepted scans not yet sent ({attendee_id, at}), which the roster does not count yet.
  // Answers {verdict, person, inside}: inside is the count the card shows, as the server would.
  function judgeScan(roster, code, typed, now, pending) {
    let person;
    let status = "invalid";
    if (!typed || code.trim().toUpperCase().startsWith(TOKEN_PREFIX)) {
      const hash = codeHash(roster.data.salt, code);
      person = roster.byHash.get(hash);
      if (person) status = "valid";
      else if (roster.revoked.has(hash)) status = "revoked";
    } else {
      person = roster.byId.get(code.trim().toUpperCase()); // a damaged badge's attendee id
      if (person) status = "valid";
    }
    const attempt = {
      direction: "IN",
      method: typed ? "manual" : "scan",
      override: false,
      scanner_permitted: true, // the server gave this scanner the roster of this session
      code_status: status,
    };
    if (status !== "valid") return { verdict: judge(attempt, null), person: null, inside: null };

    const key = person.id.toUpperCase();
    const insideSince = roster.inside.get(key);
    const mine = pending.find((p) => p.attendee_id.toUpperCase() === key);
    const others = new Set();
    for (const p of pending) {
      const id = p.attendee_id.toUpperCase();
      if (id !== key && !roster.inside.has(id)) others.add(id);
    }
    const othersInside = roster.count - (insideSince === undefined ? 0 : 1) + others.size;
    const lastIn = insideSince !== undefined || mine !== undefined;
    const situation = {
      access_control: roster.data.access_control,
      acl_mode: roster.data.acl_mode,
      capacity: roster.data.capacity,
      others_inside: othersInside,
      registered: person.registered,
      targeted: person.targeted,
      last_direction: lastIn ? "IN" : null,
      last_at: insideSince !== undefined ? insideSince : mine ? mine.at : null,
      window: roster.data.window,
      now,
    };
    const verdict = judge(attempt, situation);
    const counted = verdict.reason === "ok" || verdict.reason === "already_checked_in";
    return { verdict, person, inside: othersInside + (counted ? 1 : 0) };
  }

  return { judge, sha256, codeHash, indexRoster, judgeScan };
})();
