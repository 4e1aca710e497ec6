/**
 * Load generator for the live benchmark, run as its own process so its CPU is
 * not the server's: N HTTP-FLV viewers on one camera; each parses FLV tag
 * headers as bytes arrive and notes when each video tag arrived. Prints one
 * JSON line: per viewer, arrival times by tag timestamp, bytes and whether it
 * was cut off.
 *   node --import tsx test/bench/live-viewers.ts URL N SECONDS
 */
import http from 'node:http';

const [url, n, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const mp4 = url.endsWith('.mp4');
const now = () => performance.timeOrigin + performance.now();

interface ViewerResult {
  /** [tag timestamp ms, arrival wall ms] for video tags */
  video: [number, number][];
  bytes: number;
  closedEarly: boolean;
  firstKeyframeMs: number | null;
}

function viewer(): Promise<ViewerResult> {
  return new Promise((resolve) => {
    const r: ViewerResult = { video: [], bytes: 0, closedEarly: false, firstKeyframeMs: null };
    const t0 = now();
    // tag (or box) headers are read as bytes arrive; bodies are skipped by counting (no copies)
    let skip = mp4 ? 0 : 13; // FLV header + PreviousTagSize0
    let moof: Buffer | null = null;
    let moofLen = 0;
    const head = Buffer.alloc(12);
    let headLen = 0;
    const agent = new http.Agent({ keepAlive: false });
    /** the video track's tfdt (90 kHz) of a one-frame fragment, as ms */
    const onMoof = (box: Buffer, at: number): void => {
      const i = box.indexOf('tfdt');
      if (i < 0) return;
      const v = box[i + 4];
      const t = v === 1 ? box.readUInt32BE(i + 8) * 2 ** 32 + box.readUInt32BE(i + 12) : box.readUInt32BE(i + 8);
      const ms = Math.round(t / 90);
      r.video.push([ms, at]);
      if (r.firstKeyframeMs === null) r.firstKeyframeMs = at - t0;
    };
    const req = http.get(url, { agent }, (res) => {
      res.on('data', (d: Buffer) => {
        r.bytes += d.length;
        const at = now();
        let p = 0;
        while (p < d.length) {
          if (moof) {
            const n = Math.min(moof.length - moofLen, d.length - p);
            d.copy(moof, moofLen, p, p + n);
            moofLen += n;
            p += n;
            if (moofLen === moof.length) {
              onMoof(moof, at);
              moof = null;
            }
            continue;
          }
          if (mp4 && skip === 0 && headLen === 0 && d.length - p >= 0) {
            // ISO BMFF box header: size(4) type(4); moofs are read whole, the rest skipped
            const n = Math.min(8 - headLen, d.length - p);
            d.copy(head, headLen, p, p + n);
            headLen += n;
            p += n;
            if (headLen < 8) continue;
          } else if (mp4 && headLen > 0 && headLen < 8) {
            const n = Math.min(8 - headLen, d.length - p);
            d.copy(head, headLen, p, p + n);
            headLen += n;
            p += n;
            if (headLen < 8) continue;
          }
          if (mp4 && headLen === 8) {
            headLen = 0;
            const size = head.readUInt32BE(0);
            if (head.toString('latin1', 4, 8) === 'moof') {
              moof = Buffer.alloc(size - 8);
              moofLen = 0;
            } else skip = size - 8;
            continue;
          }
          if (skip > 0) {
            const n = Math.min(skip, d.length - p);
            skip -= n;
            p += n;
            continue;
          }
          const n = Math.min(12 - headLen, d.length - p);
          d.copy(head, headLen, p, p + n);
          headLen += n;
          p += n;
          if (headLen < 12) break;
          headLen = 0;
          // type(1) size(3) ts(3) ext(1) stream(3), first body byte; then body and PreviousTagSize
          const size = head.readUIntBE(1, 3);
          if (head[0] === 9) {
            const ts = (head.readUIntBE(4, 3) | (head[7] << 24)) >>> 0;
            r.video.push([ts, at]);
            if (r.firstKeyframeMs === null && head[11] >> 4 === 1) r.firstKeyframeMs = at - t0;
          }
          skip = size - 1 + 4;
        }
      });
      res.on('close', () => {
        r.closedEarly = now() - t0 < seconds * 1000 - 500;
        resolve(r);
      });
    });
    req.on('error', () => {
      r.closedEarly = true;
      resolve(r);
    });
    setTimeout(() => req.destroy(), seconds * 1000);
  });
}

const results = await Promise.all(Array.from({ length: n }, () => viewer()));
process.stdout.write(JSON.stringify(results) + '\n');
