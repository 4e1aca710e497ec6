/** What GET /api/cameras reports per camera (see CONTRACT.md). */
export interface CameraStatus {
  id: string;
  name: string;
  live: boolean;
  recording: boolean;
  video: { codec: string; width: number; height: number; fps: number | null } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
  bitrateKbps: number;
  viewers: number;
  /** motion detection for this camera; absent when the motion module is not running */
  motion?: CameraMotionStatus;
  /** where the camera came from (src/cameras/): the config file or the API; absent without a registry */
  source?: 'config' | 'api';
}

/**
 * idle: not live; starting: waiting for the first decoded keyframe; ok:
 * analysing; decoder-error: ffmpeg crashed, stalled or rejects the keyframes
 * (restarted with backoff); decoder-missing: no ffmpeg binary at the
 * configured path; unsupported: the stream's codec configuration cannot be
 * decoded; disabled: cameras[].motion.enabled is false.
 */
export type MotionState = 'idle' | 'starting' | 'ok' | 'decoder-error' | 'decoder-missing' | 'unsupported' | 'disabled';

export interface CameraMotionStatus {
  enabled: boolean;
  state: MotionState;
  /** what is wrong, in words, when state is an error */
  message?: string;
  /** a motion event is ongoing */
  active: boolean;
}

/** Status of a module other than the hub's, per camera (motion); undefined leaves the field out. */
export type MotionStatusProvider = (cameraId: string) => CameraMotionStatus | undefined;

export interface CameraStatusSource {
  /** In config order. */
  list(): CameraStatus[];
}
