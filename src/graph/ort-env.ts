/**
 * Imported before onnxruntime-node (runner.ts), so it runs before the native library reads its environment.
 * onnxruntime 1.30's Linux build carries Microsoft's telemetry SDK, on unless ORT_DISABLE_TELEMETRY is set: every
 * process that opens a session leaves a /tmp/mat-debug-<pid>.log, opens a SQLite database under
 * ~/.cache/Microsoft (concurrent function hosts log "database is locked"; a platform's home may be read-only) and
 * tries to upload. A function host should do none of that; a user who wants it sets ORT_DISABLE_TELEMETRY=0.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';
