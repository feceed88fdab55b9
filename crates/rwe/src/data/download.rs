//! Download of the CIFAR binary archives into a data folder.
//!
//! [`ensure_downloaded`] returns the extracted dataset folder of a [`DownloadSpec`]. When the
//! folder is missing it downloads the archive over HTTP or HTTPS, resuming a partial download,
//! verifies the archive's checksum and extracts the listed members. Extraction writes into a
//! temporary folder that is renamed into place at the end, so an interrupted run never leaves
//! a half-extracted dataset folder behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use flate2::read::GzDecoder;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::DataError;
use super::error::counted;

/// Expected digest of an archive, as hexadecimal digits in either case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum<'a> {
    /// MD5 digest, 32 hex digits. The CIFAR download page publishes MD5 sums only.
    Md5(&'a str),
    /// SHA-256 digest, 64 hex digits.
    Sha256(&'a str),
}

impl Checksum<'_> {
    /// Returns the algorithm name, `"MD5"` or `"SHA-256"`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Md5(_) => "MD5",
            Checksum::Sha256(_) => "SHA-256",
        }
    }

    /// Returns the expected digest as given.
    pub fn expected(&self) -> &str {
        match self {
            Checksum::Md5(hex) | Checksum::Sha256(hex) => hex,
        }
    }

    fn hex_len(&self) -> usize {
        match self {
            Checksum::Md5(_) => 32,
            Checksum::Sha256(_) => 64,
        }
    }
}

/// An archive to download and the dataset folder it contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadSpec<'a> {
    /// `http://` or `https://` URL of the `.tar.gz` archive.
    pub url: &'a str,
    /// File name of the archive in the target folder.
    pub file_name: &'a str,
    /// Expected digest of the whole archive file.
    pub checksum: Checksum<'a>,
    /// Top-level folder of the archive, which becomes a subfolder of the target folder.
    pub folder: &'a str,
    /// Files to extract, as `/`-separated paths relative to `folder`.
    pub members: &'a [&'a str],
}

/// The CIFAR-10 binary version, which extracts to `cifar-10-batches-bin`.
pub const CIFAR10_BINARY: DownloadSpec<'static> = DownloadSpec {
    url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
    file_name: "cifar-10-binary.tar.gz",
    checksum: Checksum::Md5("c32a1d4ab5d03f1284b67883e8d87530"),
    folder: "cifar-10-batches-bin",
    members: &[
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
        "batches.meta.txt",
        "readme.html",
    ],
};

/// The CIFAR-100 binary version, which extracts to `cifar-100-binary`.
///
/// The members are the files that [`load_cifar100_binary`](super::load_cifar100_binary) reads,
/// and other files of the archive are skipped.
///
/// NOTE: the member lists of both CIFAR specs were not checked against the real archives,
/// because the tests only download from a local server.
pub const CIFAR100_BINARY: DownloadSpec<'static> = DownloadSpec {
    url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
    file_name: "cifar-100-binary.tar.gz",
    checksum: Checksum::Md5("03b5dce01913d631647c71ecec9e9cb8"),
    folder: "cifar-100-binary",
    members: &["train.bin", "test.bin", "fine_label_names.txt"],
};

/// Settings of the HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Maximum time to resolve the host and open the connection, TLS handshake included.
    pub connect_timeout: Duration,
    /// Maximum time one read or write on the connection may wait. A stalled server fails the
    /// download after this long, while a slow but steady one never does.
    pub io_timeout: Duration,
    /// Whether to route requests through the proxy named by the `ALL_PROXY`, `HTTPS_PROXY` or
    /// `HTTP_PROXY` environment variables, honouring `NO_PROXY`.
    pub proxy_from_env: bool,
}

impl Default for DownloadOptions {
    /// Returns a 30 s connect timeout, a 60 s read/write timeout and the proxy from the
    /// environment.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            io_timeout: Duration::from_secs(60),
            proxy_from_env: true,
        }
    }
}

/// Progress of a download, in bytes of the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadProgress {
    /// Bytes on disk so far, including those of a resumed partial download.
    pub downloaded: u64,
    /// Size of the whole archive, when the server sends it.
    pub total: Option<u64>,
}

/// Callback that receives download progress.
pub type ProgressCallback<'a> = &'a mut dyn FnMut(DownloadProgress);

const BUFFER_SIZE: usize = 64 * 1024;

/// Returns the dataset folder of `spec` in `target_dir`, downloading and extracting it first
/// when it is missing.
///
/// The steps are:
/// 1. When `<target_dir>/<spec.folder>` contains every member, it is returned without any
///    network access.
/// 2. When `<target_dir>/<spec.file_name>` exists (an earlier download or a copy made by
///    hand), its checksum is verified and it is used.
/// 3. Otherwise the archive is downloaded to `<target_dir>/<spec.file_name>.part`. An
///    existing `.part` file is resumed with a `Range` request. A server that responds with `200`
///    instead of `206` sends the whole file, which then replaces the partial one. When the
///    download completes, the checksum is verified and the `.part` file is renamed to
///    `spec.file_name`.
/// 4. The members are extracted into a temporary folder in `target_dir`, which is renamed to
///    `spec.folder` once every member is written.
///
/// The archive stays in `target_dir` after extraction. Archive members outside
/// `spec.members` are skipped. Every member is still checked, so an archive with any absolute
/// path, `..` component, link or special file is rejected as a whole.
///
/// `progress` is called after every block written to the `.part` file.
///
/// # Errors
///
/// - [`DataError::InvalidDownloadSpec`] for an empty or unsafe folder, file or member name,
///   or a checksum that is not hex digits of the algorithm's length, before any network access;
/// - [`DataError::IncompleteFolder`] when the dataset folder exists but lacks members;
/// - [`DataError::Download`] naming the URL for a connection failure, a timeout or an HTTP
///   error status. A `.part` file with the bytes received stays, so the next call resumes;
/// - [`DataError::ChecksumMismatch`] for a complete archive with the wrong digest. A
///   downloaded `.part` file is deleted, and a file found at `spec.file_name` is kept;
/// - [`DataError::UnsafeArchivePath`], [`DataError::InvalidArchive`] for a link, a special
///   file or a missing member, and [`DataError::Io`] for file-system failures.
pub fn ensure_downloaded(
    spec: &DownloadSpec<'_>,
    target_dir: &Path,
    options: &DownloadOptions,
    progress: Option<ProgressCallback<'_>>,
) -> Result<PathBuf, DataError> {
    validate_spec(spec)?;
    let folder = target_dir.join(spec.folder);
    if folder.exists() {
        let missing = missing_members(&folder, spec.members);
        if missing.is_empty() {
            return Ok(folder);
        }
        return Err(DataError::IncompleteFolder {
            path: folder,
            missing,
        });
    }
    fs::create_dir_all(target_dir).map_err(|e| DataError::io(target_dir, e))?;

    let archive = target_dir.join(spec.file_name);
    if archive.is_file() {
        verify_checksum(&archive, &spec.checksum)?;
    } else {
        let part = target_dir.join(format!("{}.part", spec.file_name));
        download_to(spec.url, &part, options, progress)?;
        if let Err(error) = verify_checksum(&part, &spec.checksum) {
            if matches!(error, DataError::ChecksumMismatch { .. }) {
                fs::remove_file(&part).map_err(|e| DataError::io(&part, e))?;
            }
            return Err(error);
        }
        fs::rename(&part, &archive).map_err(|e| DataError::io(&archive, e))?;
    }

    extract_members(&archive, spec, target_dir)?;
    Ok(folder)
}

fn validate_spec(spec: &DownloadSpec<'_>) -> Result<(), DataError> {
    let invalid = |reason: String| DataError::InvalidDownloadSpec { reason };
    for (what, name) in [("folder", spec.folder), ("file name", spec.file_name)] {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(invalid(format!(
                "the {what} {name:?} must be one non-empty path component"
            )));
        }
    }
    if spec.members.is_empty() {
        return Err(invalid("the member list is empty".to_string()));
    }
    for member in spec.members {
        if relative_components(Path::new(member)).is_none_or(|parts| parts.is_empty()) {
            return Err(invalid(format!(
                "the member {member:?} must be a relative path without `..`"
            )));
        }
    }
    let hex = spec.checksum.expected();
    if hex.len() != spec.checksum.hex_len() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid(format!(
            "the {} checksum {hex:?} must be {} hex digits",
            spec.checksum.algorithm(),
            spec.checksum.hex_len()
        )));
    }
    Ok(())
}

/// Returns the normal components of a relative path, or `None` for an absolute path or one
/// with `..`.
fn relative_components(path: &Path) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

fn missing_members(folder: &Path, members: &[&str]) -> Vec<String> {
    members
        .iter()
        .filter(|member| !folder.join(member).is_file())
        .map(|member| member.to_string())
        .collect()
}

fn build_agent(options: &DownloadOptions) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .timeout_connect(Some(options.connect_timeout))
        .timeout_per_read(Some(options.io_timeout))
        .timeout_per_write(Some(options.io_timeout))
        .http_status_as_error(false);
    if !options.proxy_from_env {
        config = config.proxy(None);
    }
    config.build().new_agent()
}

fn download_error(url: &str, reason: impl Into<String>) -> DataError {
    DataError::Download {
        url: url.to_string(),
        reason: reason.into(),
    }
}

/// Downloads `url` to `part`, appending to an existing partial file when the server accepts a
/// range request.
fn download_to(
    url: &str,
    part: &Path,
    options: &DownloadOptions,
    mut progress: Option<ProgressCallback<'_>>,
) -> Result<(), DataError> {
    let agent = build_agent(options);
    let mut offset = match fs::metadata(part) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => 0,
        Err(error) => return Err(DataError::io(part, error)),
    };

    let mut request = agent.get(url);
    if offset > 0 {
        request = request.header("Range", format!("bytes={offset}-"));
    }
    let mut response = request
        .call()
        .map_err(|e| download_error(url, e.to_string()))?;
    let status = response.status().as_u16();
    let length = response.body().content_length();

    let (file, total) = match status {
        206 if offset > 0 => {
            let (start, total) = content_range(&response).unzip();
            if start.is_some_and(|start| start != offset) {
                return Err(download_error(
                    url,
                    format!(
                        "the server resumed at byte {} instead of {offset}; delete {} and run \
                         again",
                        start.unwrap_or_default(),
                        part.display()
                    ),
                ));
            }
            let total = total.flatten().or(length.map(|len| offset + len));
            let file = OpenOptions::new()
                .append(true)
                .open(part)
                .map_err(|e| DataError::io(part, e))?;
            (file, total)
        }
        // The partial file already has every byte; the checksum decides whether it is right.
        416 if offset > 0 => return Ok(()),
        200 => {
            offset = 0;
            let file = File::create(part).map_err(|e| DataError::io(part, e))?;
            (file, length)
        }
        _ => {
            return Err(download_error(
                url,
                format!("the server responded with HTTP {}", response.status()),
            ));
        }
    };

    let mut reader = response.body_mut().as_reader();
    let mut writer = io::BufWriter::with_capacity(BUFFER_SIZE, file);
    let mut buffer = vec![0u8; BUFFER_SIZE];
    let mut downloaded = offset;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                writer.flush().map_err(|e| DataError::io(part, e))?;
                return Err(download_error(
                    url,
                    format!(
                        "the transfer failed after {} ({error}); {} keeps them and the \
                         next attempt resumes from there",
                        counted(downloaded, "byte", "bytes"),
                        part.display()
                    ),
                ));
            }
        };
        writer
            .write_all(&buffer[..read])
            .map_err(|e| DataError::io(part, e))?;
        downloaded += read as u64;
        if let Some(callback) = progress.as_mut() {
            callback(DownloadProgress { downloaded, total });
        }
    }
    writer.flush().map_err(|e| DataError::io(part, e))?;
    Ok(())
}

/// Returns the first byte and the complete size, `None` when it is `*`, from a
/// `Content-Range: bytes START-END/TOTAL` header.
fn content_range(response: &ureq::http::Response<ureq::Body>) -> Option<(u64, Option<u64>)> {
    let value = response.headers().get("content-range")?.to_str().ok()?;
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

fn hex_digest(path: &Path, checksum: &Checksum<'_>) -> Result<String, DataError> {
    fn digest_file<D: Digest>(mut file: File, path: &Path) -> Result<String, DataError> {
        let mut hasher = D::new();
        let mut buffer = vec![0u8; BUFFER_SIZE];
        loop {
            let read = file.read(&mut buffer).map_err(|e| DataError::io(path, e))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        let digest = hasher.finalize();
        Ok(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    match checksum {
        Checksum::Md5(_) => digest_file::<Md5>(file, path),
        Checksum::Sha256(_) => digest_file::<Sha256>(file, path),
    }
}

fn verify_checksum(path: &Path, checksum: &Checksum<'_>) -> Result<(), DataError> {
    let actual = hex_digest(path, checksum)?;
    if actual.eq_ignore_ascii_case(checksum.expected()) {
        Ok(())
    } else {
        Err(DataError::ChecksumMismatch {
            path: path.to_path_buf(),
            algorithm: checksum.algorithm(),
            expected: checksum.expected().to_ascii_lowercase(),
            actual,
        })
    }
}

/// Extracts the members of `spec` from `archive` into `target_dir/spec.folder`, through a
/// temporary folder that is renamed into place.
fn extract_members(
    archive: &Path,
    spec: &DownloadSpec<'_>,
    target_dir: &Path,
) -> Result<(), DataError> {
    let temporary = target_dir.join(format!(".{}.extracting", spec.folder));
    if temporary.exists() {
        // Left by an interrupted extraction; its content is incomplete by construction.
        fs::remove_dir_all(&temporary).map_err(|e| DataError::io(&temporary, e))?;
    }
    fs::create_dir(&temporary).map_err(|e| DataError::io(&temporary, e))?;

    let result = unpack_into(archive, spec, &temporary);
    if let Err(error) = result {
        // The extraction error is the one to report, so a failed cleanup is ignored here. The
        // next call removes the temporary folder before it extracts again.
        let _ = fs::remove_dir_all(&temporary);
        return Err(error);
    }
    let folder = target_dir.join(spec.folder);
    fs::rename(&temporary, &folder).map_err(|e| DataError::io(&folder, e))
}

fn unpack_into(archive: &Path, spec: &DownloadSpec<'_>, temporary: &Path) -> Result<(), DataError> {
    let file = File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let mut tar = tar::Archive::new(GzDecoder::new(io::BufReader::new(file)));
    let expected_paths: Vec<Vec<String>> = spec
        .members
        .iter()
        .filter_map(|member| relative_components(Path::new(member)))
        .collect();

    let entries = tar.entries().map_err(|e| DataError::io(archive, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| DataError::io(archive, e))?;
        let member_path = entry
            .path()
            .map_err(|e| DataError::io(archive, e))?
            .into_owned();
        let member = member_path.display().to_string();
        let parts =
            relative_components(&member_path).ok_or_else(|| DataError::UnsafeArchivePath {
                archive: archive.to_path_buf(),
                member: member.clone(),
            })?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() {
            continue;
        }
        if !kind.is_file() {
            return Err(DataError::InvalidArchive {
                archive: archive.to_path_buf(),
                reason: format!(
                    "member {member:?} is a {kind:?} entry, but only regular files are \
                     extracted; links and special files are rejected"
                ),
            });
        }
        let Some((top, inner)) = parts.split_first() else {
            continue;
        };
        if top != spec.folder || !expected_paths.iter().any(|path| path.as_slice() == inner) {
            continue;
        }
        let destination = inner.iter().fold(temporary.to_path_buf(), |p, c| p.join(c));
        if let Some(parent) = destination.parent() {
            fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
        }
        let mut output = File::create(&destination).map_err(|e| DataError::io(&destination, e))?;
        io::copy(&mut entry, &mut output).map_err(|e| DataError::io(archive, e))?;
        output
            .sync_all()
            .map_err(|e| DataError::io(&destination, e))?;
    }

    let missing = missing_members(temporary, spec.members);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DataError::InvalidArchive {
            archive: archive.to_path_buf(),
            reason: format!(
                "it lacks the members {missing:?} under `{}/`; check that the URL and the \
                 checksum belong to this dataset",
                spec.folder
            ),
        })
    }
}
