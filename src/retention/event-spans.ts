/**
 * Which recorded time overlaps a motion event: footage there is kept for the
 * camera's eventDays rather than its days, and goes last when space is short.
 * The events module implements it; until it exists, nothing overlaps.
 */
export interface EventSpans {
  /** Whether any event of the camera overlaps [startMs, endMs) (an ongoing event: any time after its start). */
  overlaps(cameraId: string, startMs: number, endMs: number): boolean;
}

export const noEvents: EventSpans = { overlaps: () => false };
