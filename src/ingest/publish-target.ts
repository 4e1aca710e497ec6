/**
 * Where a publisher wants to go: `rtmp://HOST/live/<cameraId>?key=<streamKey>`.
 * Clients split that URL differently: ffmpeg and GStreamer put `live` in the
 * connect app and `<cameraId>?key=...` in the publish name; OBS-style "server +
 * stream key" settings send app `live` and name `<cameraId>?key=...`; some
 * encoders put the query on the app or the tcUrl, or the whole path in the app.
 */
export interface PublishTarget {
  app: string;
  cameraId: string;
  /** the stream key offered, or null when none */
  key: string | null;
}

export function parsePublishTarget(connectApp: string, tcUrl: string, publishName: string): PublishTarget {
  const [appPath, appQuery] = splitQuery(connectApp);
  const [namePath, nameQuery] = splitQuery(publishName);
  const appParts = appPath.split('/').filter(Boolean);
  const app = appParts[0] ?? '';
  // "live/cam1" as the app with an empty name: the camera is the app's second part
  const cameraId = namePath !== '' ? namePath.replace(/^\/+/, '') : (appParts[1] ?? '');
  const key = queryKey(nameQuery) ?? queryKey(appQuery) ?? queryKey(splitQuery(tcUrl)[1]);
  return { app, cameraId, key };
}

function splitQuery(s: string): [string, string] {
  const i = s.indexOf('?');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function queryKey(query: string): string | null {
  if (!query) return null;
  return new URLSearchParams(query).get('key');
}
