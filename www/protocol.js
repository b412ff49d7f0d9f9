// The page ↔ worker protocol in one place: every command the page (app.js) sends the worker
// (worker.js), what it takes, what it answers and the progress it posts. Both sides use the
// names from here; the JSDoc types are the contract.
//
// A call, page → worker:   { id, cmd: Cmd.*, args }
// Its answer, worker → page, one of:
//   { id, ok: true, value }          the value below (bytes are transferred, not copied)
//   { id, ok: true, json }           JSON text (Cmd.messages, Cmd.preview); also left in the
//                                    shared buffer for a frame callback (`soon` in app.js)
//   { id, ok: false, value, fatal, item }   an error; `fatal`: the module trapped (a panic),
//                                    while converting `item` — the page starts a new worker
// and before it, for long commands, any number of { id, progress }.
// Cmd.warm is sent without an id and never answered. The worker's first message to the page
// is { shared: SharedArrayBuffer } in the other direction: the page sends it { shared } once.
//
// Constants shared with the Rust module (its chunk size, the relay's WebSocket sub-protocol)
// come from the module itself (`chunk_size`, `relay_protocol_prefix`), never copies.

/**
 * @typedef {{ nid: number, reason: string }} SetAside  an item a crashed module trapped on
 * @typedef {{ file: File, setAside?: SetAside[] }} OpenArgs
 * @typedef {{ nid: number, name: string, path: string[], items: number, unread: number,
 *   children: FolderInfo[] }} FolderInfo  (and the other fields of pst::FolderInfo)
 * @typedef {{ file: string, size: number, format: string, ost: boolean, version: number,
 *   encryption: string, password_protected: boolean, display_name: string, codepage: number,
 *   ipm_subtree: number|null, problems: string[], folders: FolderInfo }} FileInfo  report::FileInfo, Cmd.open's answer
 * @typedef {{ nids: number[], seq: number }} WarmArgs  rows on screen, to read ahead
 * @typedef {{ folder: number, start: number, count: number }} MessagesArgs  (json: rows)
 * @typedef {{ query: string }} SearchArgs
 * @typedef {{ count: number, bodyCount: number, bodies: object, hits: object[] }} SearchAnswer
 * @typedef {{ nid: number, recovered?: number, path?: number[], crashOn?: number }} PreviewArgs
 *   (json: a preview) of the message `nid`, or of recovered item `recovered` when ≥ 0
 * @typedef {{ nid: number, recovered?: number, path?: number[] }} EmlArgs  answer: Uint8Array (the .eml)
 * @typedef {{ nid: number, recovered?: number, path?: number[], index: number }} AttachmentArgs  answer: Uint8Array
 * @typedef {{ candidates: number, recovered: number, duplicates: number, failed: object[],
 *   rows: object[] }} RecoverAnswer  report::RecoveryReport and the recovered items' rows (nid: index)
 * @typedef {{ mbox: boolean, eml: boolean, cards: boolean, folders?: number[], recover?: boolean,
 *   dir?: FileSystemDirectoryHandle, thunderbird?: boolean, name?: string,
 *   cancel?: SharedArrayBuffer (Int32 [cancel, pause] flags), cancelAfter?: number, pauseAfter?: number,
 *   crashOn?: number, part?: number }} ConvertArgs  (part: the file's place in a move of
 *   several, each zipped into a file of its own)
 * @typedef {{ report: object, zip?: Blob|File|Uint8Array, top?: string }} ConvertAnswer
 *   (`thunderbird`: `dir` is Thunderbird's Local Folders, `name` the PST's file name; the mail
 *   goes under the new top folder `top`, mbox only)
 * @typedef {{ done: number, total: number, bytes: number, folder: string }} ConvertProgress
 * @typedef {{ files: object[] }} SignatureFilesArgs  the files of a picked signatures folder
 * @typedef {{ provider: 'microsoft'|'google'|'custom', client_id: string, client_secret?: string,
 *   authorize_url?: string, token_url?: string, scope?: string }} OAuthSettings  sink::imap::oauth::Settings
 * @typedef {{ relay: string, token: string, imap: string, password: string, oauth?: OAuthSettings,
 *   under?: string, folders: number[], dryRun: boolean, appendTooLarge?: boolean }} UploadArgs
 *   (a password, or oauth; appendTooLarge: the too-large mbox of an earlier file of the move
 *   is added to, not started again)
 * @typedef {{ server: string, mapping?: object[], report?: object, skipped?: object[],
 *   tooLarge?: { file: File, count: number } }} UploadAnswer  (tooLarge: the messages the
 *   server refused as too large, as an mbox, for the user to keep)
 * @typedef {{ phase: 'sign-in'|'mapping'|'upload'|'folder', url?: string, server?: string, mapping?: object[],
 *   folder?: string, done?: number, total?: number, bytes?: number, present?: number,
 *   appended?: number, report?: object }} UploadProgress
 */

/** Files up to this size the worker reads whole at open (each browser file read costs
 * milliseconds); larger ones slice by slice, never whole. */
export const WHOLE_FILE = 8 << 20;

/** Every command, by the name the page calls it with. */
export const Cmd = Object.freeze({
  /** OpenArgs → FileInfo */
  open: 'open',
  /** WarmArgs → (no answer) */
  warm: 'warm',
  /** MessagesArgs → json rows */
  messages: 'messages',
  /** SearchArgs → SearchAnswer */
  search: 'search',
  /** {} → RecoverAnswer: looks for deleted and older items (reads the whole file) */
  recover: 'recover',
  /** PreviewArgs → json preview */
  preview: 'preview',
  /** EmlArgs → Uint8Array */
  eml: 'eml',
  /** AttachmentArgs → Uint8Array */
  attachment: 'attachment',
  /** ConvertArgs → ConvertAnswer, with ConvertProgress */
  convert: 'convert',
  /** {} → the file's signatures */
  signatures: 'signatures',
  /** SignatureFilesArgs → signatures */
  signatureFiles: 'signature-files',
  /** { address } → where its mail most likely is (sink::imap::providers::Suggestion), or null */
  provider: 'provider',
  /** { relay, token, address } → { found: {host, port, starttls, user, source}|null, asked: string[] }:
   * the relay asks the address's domain for the settings it publishes (autoconfig, DNS SRV) */
  lookup: 'lookup',
  /** UploadArgs → UploadAnswer, with UploadProgress */
  upload: 'upload',
  /** {} → null: the upload waits before its next message */
  pause: 'pause',
  /** {} → null */
  resume: 'resume',
  /** {} → reads of the file so far (tests) */
  reads: 'reads',
  /** {} → { bytes, state: 'none'|'copying'|'done'|'given up', ms, reads }: the open file's
   * working copy (copy.js), ms it took once done, and the reads working copies served (tests) */
  copied: 'copied',
  /** {} → bytes of the module's memory (benchmarks) */
  memory: 'memory',
});
