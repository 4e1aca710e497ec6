import { shortRun } from './short-run.js';

shortRun('media');
