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
}

export interface CameraStatusSource {
  /** In config order. */
  list(): CameraStatus[];
}
