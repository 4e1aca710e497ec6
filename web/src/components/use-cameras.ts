import { useEffect, useState } from 'preact/hooks';
import { errorText, get } from '../api.js';

/** One camera as GET /api/cameras reports it (src/hub/camera-status.ts). */
export interface CameraStatus {
  id: string;
  name: string;
  live: boolean;
  recording: boolean;
  video: { codec: string; width: number; height: number; fps: number | null } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
  bitrateKbps: number;
  viewers: number;
  motion?: { enabled: boolean; state: string; message?: string; active: boolean };
}

/** How often the status is asked for again: live/offline shows within this. */
export const CAMERA_POLL_MS = 3000;

/**
 * The camera list, asked for now and every CAMERA_POLL_MS while the page shows
 * it (paused while the tab is hidden). `reload` asks at once (after an edit).
 */
export function useCameras(): { cameras: CameraStatus[] | null; error: string | null; reload: () => void } {
  const [cameras, setCameras] = useState<CameraStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const load = async () => {
      if (!document.hidden) {
        try {
          const list = await get<CameraStatus[]>('/api/cameras');
          if (stopped) return;
          setCameras(list);
          setError(null);
        } catch (err) {
          if (stopped) return;
          setError(errorText(err));
        }
      }
      if (!stopped) timer = window.setTimeout(load, CAMERA_POLL_MS);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tick]);
  return { cameras, error, reload: () => setTick((n) => n + 1) };
}
