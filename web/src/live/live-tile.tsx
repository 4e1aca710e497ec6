import { useEffect, useRef, useState } from 'preact/hooks';
import { SpeakerIcon } from '../components/icons.js';
import { StatusBadges } from '../components/status-badges.js';
import type { CameraStatus } from '../components/use-cameras.js';
import { LivePlayer, type PlayerState } from './mse-player.js';

/** How often an offline tile asks for the latest thumbnail again. */
const THUMB_REFRESH_MS = 30_000;

/**
 * One camera's live video with its status badges. Muted until the speaker
 * button is pressed; offline shows the camera's latest thumbnail. The
 * player reconnects by itself; a camera coming live skips its backoff.
 */
export function LiveTile(props: { camera: CameraStatus; motion: boolean; large?: boolean; onOpen?: () => void }) {
  const { camera } = props;
  const videoRef = useRef<HTMLVideoElement>(null);
  const playerRef = useRef<LivePlayer | null>(null);
  const [state, setState] = useState<{ s: PlayerState; detail?: string }>({ s: 'connecting' });
  const [muted, setMuted] = useState(true);
  const [thumbAt, setThumbAt] = useState(() => Date.now());
  const [thumbOk, setThumbOk] = useState(true);

  useEffect(() => {
    const player = new LivePlayer(videoRef.current!, `/live/${encodeURIComponent(camera.id)}.mp4`, (s, detail) => setState({ s, detail }));
    playerRef.current = player;
    player.start();
    return () => {
      player.stop();
      playerRef.current = null;
    };
  }, [camera.id]);

  useEffect(() => {
    if (camera.live) playerRef.current?.retryNow();
    else {
      setThumbAt(Date.now());
      setThumbOk(true);
      const timer = setInterval(() => setThumbAt(Date.now()), THUMB_REFRESH_MS);
      return () => clearInterval(timer);
    }
  }, [camera.live]);

  const toggleAudio = (e: Event) => {
    e.stopPropagation();
    playerRef.current?.setMuted(!muted);
    setMuted(!muted);
  };
  const open = () => props.onOpen?.();
  const hasAudio = camera.audio !== null && !/^pcm/.test(camera.audio.codec);
  const playing = camera.live && state.s === 'playing';

  return (
    <figure
      class={`tile${props.large ? ' large' : ''}${props.motion ? ' motion' : ''}${camera.live ? '' : ' offline'}`}
      data-camera={camera.id}
      data-state={state.s}
      onClick={open}
      onKeyDown={(e) => e.key === 'Enter' && e.target === e.currentTarget && open()}
      tabIndex={props.onOpen ? 0 : -1}
      aria-label={`${camera.name}${props.onOpen ? ': open large' : ''}`}
      title={props.onOpen ? 'Click to enlarge' : undefined}
    >
      <video ref={videoRef} muted autoplay playsInline />
      {!camera.live && thumbOk && (
        <img class="thumb" src={`/api/cameras/${encodeURIComponent(camera.id)}/thumbnail?t=${thumbAt}`} alt="" onError={() => setThumbOk(false)} />
      )}
      {!playing && (
        <div class="tile-msg">
          <span>{!camera.live ? 'offline' : state.s === 'unsupported' || state.s === 'error' ? state.detail : 'connecting…'}</span>
        </div>
      )}
      <figcaption>
        <span class="name">{camera.name}</span>
        <StatusBadges camera={camera} motion={props.motion} />
        {hasAudio && (
          <button type="button" class="icon" onClick={toggleAudio} aria-pressed={!muted} title={muted ? 'Turn sound on' : 'Mute'} data-testid="audio">
            <SpeakerIcon muted={muted} />
          </button>
        )}
      </figcaption>
    </figure>
  );
}
