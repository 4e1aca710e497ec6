/**
 * Reading fragmented MP4 (ISO 14496-12): the pure, bounds-checked side of
 * src/mp4. Box walking (box-reader.ts), init segments (init-reader.ts),
 * fragments (moof-reader.ts) and whole-file or incremental scanning for
 * crash recovery (fragment-scanner.ts). Errors are ProtocolErrors with
 * MP4_* codes; a file cut short is a torn result, not an error.
 */
export { MAX_BOX_DEPTH, childBoxes, readBoxHeader, readBoxes, type BoxHeader, type BoxList } from './box-reader.js';
export { parseMoov, type InitInfo, type InitTrack } from './init-reader.js';
export { isSync, parseMoof, readFragmentSamples, type MoofSample, type MoofTraf, type ParsedMoof, type SampleRef, type TrackSamples } from './moof-reader.js';
export { Mp4FragmentScanner, scanFragments, type ScanResult, type ScannedFragment, type ScannerOptions } from './fragment-scanner.js';
