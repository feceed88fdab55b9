//! Downloads from an HTTP server on 127.0.0.1 that each test starts with archives it builds.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use md5::Md5;
use rwenas_rwe::data::{
    Checksum, DataError, DownloadOptions, DownloadProgress, DownloadSpec, ensure_downloaded,
    load_cifar10_binary,
};
use sha2::{Digest, Sha256};

const FOLDER: &str = "cifar-10-batches-bin";
const FILE_NAME: &str = "cifar-10-binary.tar.gz";
const MEMBERS: &[&str] = &[
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
    "batches.meta.txt",
    "readme.html",
];
const RECORDS_PER_BATCH: usize = 2;
const RECORD_SIZE: usize = 1 + 3 * 32 * 32;

/// One request as the test server received it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    range: Option<String>,
}

/// How the test server responds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Serves files, with `206` for `Range: bytes=N-`.
    Normal,
    /// Serves files and ignores `Range`, responding `200` with the whole file.
    IgnoreRange,
    /// Accepts connections and never responds.
    Stall,
}

/// HTTP/1.1 server on 127.0.0.1 that serves in-memory files, one request per connection.
struct TestServer {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start(files: HashMap<String, Vec<u8>>, behaviour: Behaviour) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    if behaviour == Behaviour::Stall {
                        // Keeps the connection open without a response until the test stops.
                        while !stop.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        break;
                    }
                    serve(stream, &files, behaviour, &received);
                }
            })
        };
        TestServer {
            address,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("request log").clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so that the thread reads the stop flag.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    behaviour: Behaviour,
    received: &Mutex<Vec<Received>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || request_line.is_empty() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    received.lock().expect("request log").push(Received {
        path: path.clone(),
        range: range.clone(),
    });

    let Some(body) = files.get(&path) else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let start = range
        .as_deref()
        .filter(|_| behaviour == Behaviour::Normal)
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.strip_suffix('-'))
        .and_then(|value| value.parse::<usize>().ok());
    let head = match start {
        Some(start) if start >= body.len() => {
            let head = format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            return;
        }
        Some(start) => format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len() - 1,
            body.len(),
            body.len() - start
        ),
        None => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
    };
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body[start.unwrap_or(0)..]);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

fn options() -> DownloadOptions {
    DownloadOptions {
        connect_timeout: Duration::from_secs(5),
        io_timeout: Duration::from_secs(5),
        proxy_from_env: false,
    }
}

/// Returns a CIFAR-10 binary batch of `RECORDS_PER_BATCH` records with labels from `first`.
fn batch(first: u8) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(RECORDS_PER_BATCH * RECORD_SIZE);
    for record in 0..RECORDS_PER_BATCH {
        let label = (first + record as u8) % 10;
        bytes.push(label);
        bytes.extend((0..RECORD_SIZE - 1).map(|i| (i as u8).wrapping_add(label)));
    }
    bytes
}

fn member_content(member: &str) -> Vec<u8> {
    match member {
        "batches.meta.txt" => {
            b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n".to_vec()
        }
        "readme.html" => b"<html>test archive</html>\n".to_vec(),
        "test_batch.bin" => batch(7),
        name => {
            let index: u8 = name
                .trim_start_matches("data_batch_")
                .trim_end_matches(".bin")
                .parse()
                .expect("batch number");
            batch(index * 2)
        }
    }
}

fn append_file(builder: &mut tar::Builder<GzEncoder<Vec<u8>>>, path: &str, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    builder
        .append_data(&mut header, path, data)
        .expect("append member");
}

/// Sets a member name byte by byte, which lets a test store paths that `tar::Builder` rejects.
fn append_raw(
    builder: &mut tar::Builder<GzEncoder<Vec<u8>>>,
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) {
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    if let Some(link) = link {
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_cksum();
    builder.append(&header, data).expect("append raw member");
}

/// Builds a `.tar.gz` with the CIFAR-10 members in `FOLDER/`, then calls `extra`.
fn archive_with(
    members: &[&str],
    extra: impl FnOnce(&mut tar::Builder<GzEncoder<Vec<u8>>>),
) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    let mut folder = tar::Header::new_gnu();
    folder.set_entry_type(tar::EntryType::Directory);
    folder.set_mode(0o755);
    folder.set_size(0);
    builder
        .append_data(&mut folder, format!("{FOLDER}/"), std::io::empty())
        .expect("append folder");
    for member in members {
        append_file(
            &mut builder,
            &format!("{FOLDER}/{member}"),
            &member_content(member),
        );
    }
    extra(&mut builder);
    builder
        .into_inner()
        .expect("finish tar")
        .finish()
        .expect("finish gzip")
}

fn cifar_archive() -> Vec<u8> {
    archive_with(MEMBERS, |_| {})
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn serve_archive(bytes: &[u8], behaviour: Behaviour) -> TestServer {
    let files = HashMap::from([(format!("/{FILE_NAME}"), bytes.to_vec())]);
    TestServer::start(files, behaviour)
}

fn spec<'a>(url: &'a str, checksum: Checksum<'a>) -> DownloadSpec<'a> {
    DownloadSpec {
        url,
        file_name: FILE_NAME,
        checksum,
        folder: FOLDER,
        members: MEMBERS,
    }
}

fn part_path(target: &Path) -> std::path::PathBuf {
    target.join(format!("{FILE_NAME}.part"))
}

/// Returns the names in `dir`, sorted.
fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list folder")
        .map(|entry| {
            entry
                .expect("folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn download_verifies_extracts_and_loads() {
    let bytes = cifar_archive();
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");

    let mut updates = Vec::new();
    let mut record = |progress: DownloadProgress| updates.push(progress);
    let folder = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        Some(&mut record),
    )
    .expect("download");

    assert_eq!(folder, target.path().join(FOLDER));
    let last = updates.last().expect("at least one progress update");
    assert_eq!(last.downloaded, bytes.len() as u64);
    assert_eq!(last.total, Some(bytes.len() as u64));
    assert!(
        updates
            .windows(2)
            .all(|w| w[0].downloaded < w[1].downloaded),
        "progress must grow: {updates:?}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].range, None);
    assert_eq!(dir_names(target.path()), vec![FOLDER, FILE_NAME]);
    let mut expected_members: Vec<&str> = MEMBERS.to_vec();
    expected_members.sort();
    assert_eq!(dir_names(&folder), expected_members);

    let sets = load_cifar10_binary(&folder).expect("load extracted folder");
    assert_eq!(sets.train.len(), 5 * RECORDS_PER_BATCH);
    assert_eq!(sets.test.len(), RECORDS_PER_BATCH);
    assert_eq!(sets.train.num_classes(), 10);
    assert_eq!(sets.train.labels[..2], [2, 3]);
    assert_eq!(sets.test.labels, vec![7, 8]);
}

#[test]
fn md5_checksum_is_verified() {
    let bytes = cifar_archive();
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = md5_hex(&bytes).to_ascii_uppercase();
    let target = tempfile::tempdir().expect("temp dir");

    let folder = ensure_downloaded(
        &spec(&url, Checksum::Md5(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect("download with an uppercase MD5 sum");
    assert!(folder.join("test_batch.bin").is_file());
}

#[test]
fn checksum_mismatch_removes_part() {
    let bytes = cifar_archive();
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let wrong = "0".repeat(64);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&wrong)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("a wrong checksum must fail");

    let message = error.to_string();
    let DataError::ChecksumMismatch {
        path,
        algorithm,
        expected,
        actual,
    } = error
    else {
        panic!("expected ChecksumMismatch, got {error:?}");
    };
    assert_eq!(path, part_path(target.path()));
    assert_eq!(algorithm, "SHA-256");
    assert_eq!(expected, wrong);
    assert_eq!(actual, sha256_hex(&bytes));
    assert!(message.contains(FILE_NAME), "{message}");
    assert!(message.contains(&wrong), "{message}");
    assert!(message.contains(&actual), "{message}");
    assert!(message.contains("--data"), "{message}");
    assert!(!part_path(target.path()).exists());
    assert!(!target.path().join(FOLDER).exists());
    assert!(
        dir_names(target.path()).is_empty(),
        "{:?}",
        dir_names(target.path())
    );
}

#[test]
fn partial_download_resumes_with_range() {
    let bytes = cifar_archive();
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");
    let half = bytes.len() / 2;
    std::fs::write(part_path(target.path()), &bytes[..half]).expect("write part");

    let mut updates = Vec::new();
    let mut record = |progress: DownloadProgress| updates.push(progress);
    let folder = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        Some(&mut record),
    )
    .expect("resumed download");

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, format!("/{FILE_NAME}"));
    assert_eq!(requests[0].range, Some(format!("bytes={half}-")));
    let first = updates.first().expect("progress update");
    assert!(first.downloaded > half as u64, "{first:?}");
    assert_eq!(first.total, Some(bytes.len() as u64));
    assert_eq!(
        std::fs::read(target.path().join(FILE_NAME)).expect("archive"),
        bytes
    );
    assert!(!part_path(target.path()).exists());
    assert!(load_cifar10_binary(&folder).is_ok());
}

#[test]
fn range_ignored_restarts_from_zero() {
    let bytes = cifar_archive();
    let server = serve_archive(&bytes, Behaviour::IgnoreRange);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");
    // Bytes that differ from the archive, so appending to them would fail the checksum.
    std::fs::write(part_path(target.path()), vec![0xAB; bytes.len() / 2]).expect("write part");

    ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect("download restarted on 200");

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].range.is_some());
    assert_eq!(
        std::fs::read(target.path().join(FILE_NAME)).expect("archive"),
        bytes
    );
}

#[test]
fn complete_part_is_verified_after_416() {
    let bytes = cifar_archive();
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");
    std::fs::write(part_path(target.path()), &bytes).expect("write part");

    let folder = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect("complete part file");

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].range, Some(format!("bytes={}-", bytes.len())));
    assert!(folder.join("data_batch_5.bin").is_file());
}

#[test]
fn path_traversal_is_rejected() {
    let bytes = archive_with(MEMBERS, |builder| {
        append_raw(
            builder,
            &format!("{FOLDER}/../escaped.txt"),
            tar::EntryType::Regular,
            None,
            b"outside",
        );
    });
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("a `..` member must be rejected");

    let DataError::UnsafeArchivePath { member, .. } = &error else {
        panic!("expected UnsafeArchivePath, got {error:?}");
    };
    assert!(member.contains(".."), "{member}");
    assert!(!target.path().join(FOLDER).exists());
    assert!(!target.path().join("escaped.txt").exists());
    assert_eq!(dir_names(target.path()), vec![FILE_NAME]);
}

#[test]
fn absolute_member_is_rejected() {
    let bytes = archive_with(MEMBERS, |builder| {
        append_raw(
            builder,
            "/tmp/rwenas-absolute-member.txt",
            tar::EntryType::Regular,
            None,
            b"outside",
        );
    });
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("an absolute member must be rejected");

    assert!(
        matches!(error, DataError::UnsafeArchivePath { .. }),
        "{error:?}"
    );
    assert!(!target.path().join(FOLDER).exists());
}

#[test]
fn symlink_member_is_rejected() {
    let members: Vec<&str> = MEMBERS
        .iter()
        .copied()
        .filter(|m| *m != "readme.html")
        .collect();
    let bytes = archive_with(&members, |builder| {
        append_raw(
            builder,
            &format!("{FOLDER}/readme.html"),
            tar::EntryType::Symlink,
            Some("/etc/hostname"),
            b"",
        );
    });
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("a symlink member must be rejected");

    assert!(
        matches!(error, DataError::InvalidArchive { .. }),
        "{error:?}"
    );
    assert!(!target.path().join(FOLDER).exists());
    assert_eq!(dir_names(target.path()), vec![FILE_NAME]);
}

#[test]
fn unexpected_members_are_skipped() {
    let bytes = archive_with(MEMBERS, |builder| {
        append_file(builder, &format!("{FOLDER}/extra.txt"), b"not listed");
        append_file(builder, "top-level.txt", b"not listed");
    });
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");

    let folder = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect("download");

    assert!(!folder.join("extra.txt").exists());
    assert!(!target.path().join("top-level.txt").exists());
    assert_eq!(dir_names(&folder).len(), MEMBERS.len());
}

#[test]
fn missing_member_fails_without_folder() {
    let bytes = archive_with(&MEMBERS[1..], |_| {});
    let server = serve_archive(&bytes, Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("an archive without data_batch_1.bin must fail");

    let message = error.to_string();
    assert!(
        matches!(error, DataError::InvalidArchive { .. }),
        "{error:?}"
    );
    assert!(message.contains("data_batch_1.bin"), "{message}");
    assert!(!target.path().join(FOLDER).exists());
    assert_eq!(dir_names(target.path()), vec![FILE_NAME]);
}

#[test]
fn present_folder_skips_network() {
    let server = serve_archive(b"unused", Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let target = tempfile::tempdir().expect("temp dir");
    let folder = target.path().join(FOLDER);
    std::fs::create_dir(&folder).expect("create folder");
    for member in MEMBERS {
        std::fs::write(folder.join(member), member_content(member)).expect("write member");
    }
    let sum = "0".repeat(64);

    let found = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect("present folder");

    assert_eq!(found, folder);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(dir_names(target.path()), vec![FOLDER]);
}

#[test]
fn incomplete_folder_is_reported() {
    let server = serve_archive(b"unused", Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let target = tempfile::tempdir().expect("temp dir");
    let folder = target.path().join(FOLDER);
    std::fs::create_dir(&folder).expect("create folder");
    std::fs::write(folder.join("test_batch.bin"), batch(0)).expect("write member");
    let sum = "0".repeat(64);

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("incomplete folder");

    let DataError::IncompleteFolder { path, missing } = &error else {
        panic!("expected IncompleteFolder, got {error:?}");
    };
    assert_eq!(path, &folder);
    assert_eq!(missing.len(), MEMBERS.len() - 1);
    assert!(!missing.contains(&"test_batch.bin".to_string()));
    assert!(server.requests().is_empty());
}

#[test]
fn archive_on_disk_is_used() {
    let bytes = cifar_archive();
    let server = serve_archive(b"unused", Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = sha256_hex(&bytes);
    let target = tempfile::tempdir().expect("temp dir");
    std::fs::write(target.path().join(FILE_NAME), &bytes).expect("write archive");

    let folder = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect("archive on disk");

    assert!(server.requests().is_empty());
    assert!(load_cifar10_binary(&folder).is_ok());
}

fn assert_download_error(error: &DataError, url: &str) {
    let message = error.to_string();
    assert!(matches!(error, DataError::Download { .. }), "{error:?}");
    assert!(message.contains(url), "{message}");
    assert!(message.contains("by hand"), "{message}");
    assert!(message.contains("--data"), "{message}");
}

#[test]
fn http_404_is_download_error() {
    let server = TestServer::start(HashMap::new(), Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = "0".repeat(64);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("404");

    assert_download_error(&error, &url);
    assert!(error.to_string().contains("404"), "{error}");
    assert!(!target.path().join(FOLDER).exists());
}

#[test]
fn connection_refused_is_download_error() {
    // A port that was just free on 127.0.0.1, with nothing listening on it any more.
    let address = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address");
    let url = format!("http://{address}/{FILE_NAME}");
    let sum = "0".repeat(64);
    let target = tempfile::tempdir().expect("temp dir");

    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options(),
        None,
    )
    .expect_err("connection refused");

    assert_download_error(&error, &url);
}

#[test]
fn stalled_server_times_out() {
    let server = TestServer::start(HashMap::new(), Behaviour::Stall);
    let url = server.url(&format!("/{FILE_NAME}"));
    let sum = "0".repeat(64);
    let target = tempfile::tempdir().expect("temp dir");
    let options = DownloadOptions {
        io_timeout: Duration::from_millis(300),
        ..options()
    };

    let started = Instant::now();
    let error = ensure_downloaded(
        &spec(&url, Checksum::Sha256(&sum)),
        target.path(),
        &options,
        None,
    )
    .expect_err("timeout");

    assert_download_error(&error, &url);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn invalid_checksum_rejected_before_request() {
    let server = serve_archive(b"unused", Behaviour::Normal);
    let url = server.url(&format!("/{FILE_NAME}"));
    let target = tempfile::tempdir().expect("temp dir");

    for checksum in [
        Checksum::Sha256("abc"),
        Checksum::Md5("zz32a1d4ab5d03f1284b67883e8d8753"),
    ] {
        let error = ensure_downloaded(&spec(&url, checksum), target.path(), &options(), None)
            .expect_err("invalid checksum");
        assert!(
            matches!(error, DataError::InvalidDownloadSpec { .. }),
            "{error:?}"
        );
    }
    assert!(server.requests().is_empty());
}
