//! What the host knows about one pod (one UID) it has dealt with in the
//! plugin, and the named events that change it: created, found in a plugin
//! instance, missing from a listing, lost, asked to delete, removed from the
//! API by the host, a status received or written. Pure (times come in as
//! arguments), unit-tested; `tracking` keeps one per pod and the workers act
//! on the answers.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use serde_json::Value;
use tokio::time::Instant;

use super::phase::is_terminal;
use super::policy::delete_retry_delay;

/// One plugin instance: a new number after every plugin (re)start.
pub type Generation = u64;

/// How long the same failure is not reported again in an Event.
const FAILURE_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// What the host knows about one pod (one UID); changed only through the
/// transitions below.
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    /// The pod as last seen (API or plugin copy), for DeletePod after the
    /// API object is gone.
    last_seen: Option<Arc<Pod>>,
    /// The pod last sent with CreatePod / UpdatePod (or the plugin's copy
    /// when found there), for deciding on UpdatePod.
    sent: Option<Arc<Pod>>,
    /// The environment last sent kept `status.podIP(s)` entries unresolved:
    /// send UpdatePod once the pod has an IP.
    awaits_pod_ip: bool,
    /// The plugin instance known to hold the pod...
    held_by: Option<Generation>,
    /// ...and when it was first seen holding it (a listing started earlier
    /// cannot show it).
    held_since: Option<Instant>,
    /// Some plugin instance had it once (created by the host or found
    /// there): if it is gone now, it is lost, never created again.
    was_in_plugin: bool,
    /// The plugin may have dropped it (a listing did not show it, or
    /// UpdatePod said NOT_FOUND): confirm with GetPod before anything else.
    maybe_gone: bool,
    /// The plugin had it and does not any more.
    lost: bool,
    /// The plugin's latest status and when it was taken.
    status: Option<PodStatus>,
    status_at: Option<Instant>,
    /// The plugin instance last asked to delete the pod...
    delete_sent_to: Option<Generation>,
    /// ...and when DeletePod was first sent: the plugin's grace period runs
    /// from there, as a kubelet's runs from when it starts killing.
    delete_sent_at: Option<Instant>,
    /// The host removed the API object (its DELETE, grace 0, was
    /// accepted): until the watch shows it gone there is nothing left to
    /// write or delete.
    removed_from_api: bool,
    /// DeletePod failures in a row, and when it may be asked again.
    delete_failures: u32,
    delete_retry_at: Option<Instant>,
    /// The last status patch written and the resourceVersion of the pod it
    /// was computed against: until the cache moves past that version the
    /// same patch is not sent again.
    written: Option<(Value, Option<String>)>,
    /// A status patch the API refused as invalid (422): not sent again.
    refused: Option<Value>,
    /// The last failure reported in an Event and when, to avoid repeating it.
    reported_failure: Option<(String, Instant)>,
}

/// Transitions: each is named for what happened.
impl Tracked {
    /// The pod was seen as `pod` (the API's object, or the plugin's copy of
    /// a pod the API does not know).
    pub fn seen(&mut self, pod: Arc<Pod>) {
        self.last_seen = Some(pod);
    }

    /// CreatePod of `sent` succeeded in instance `generation` at `now`.
    pub fn created(
        &mut self,
        generation: Generation,
        sent: Arc<Pod>,
        awaits_pod_ip: bool,
        now: Instant,
    ) {
        self.held_by = Some(generation);
        self.held_since = Some(now);
        self.was_in_plugin = true;
        self.maybe_gone = false;
        self.sent = Some(sent);
        self.reported_failure = None;
        self.awaits_pod_ip = awaits_pod_ip;
    }

    /// Instance `generation` showed it holds the pod (GetPod or a listing)
    /// as `plugin_copy`, at `now`. A new instance's copy is what it runs
    /// now: UpdatePod compares against that.
    pub fn found_in_plugin(&mut self, generation: Generation, plugin_copy: &Pod, now: Instant) {
        if self.held_by != Some(generation) || self.sent.is_none() {
            self.held_since = Some(now);
            let mut copy = plugin_copy.clone();
            copy.status = None;
            self.sent = Some(Arc::new(copy));
        }
        self.held_by = Some(generation);
        self.was_in_plugin = true;
        self.maybe_gone = false;
    }

    /// UpdatePod of `sent` succeeded.
    pub fn updated(&mut self, sent: Arc<Pod>, awaits_pod_ip: bool) {
        self.sent = Some(sent);
        self.awaits_pod_ip = awaits_pod_ip;
    }

    /// The plugin refused the change in `sent` for good (INVALID_ARGUMENT
    /// from UpdatePod): it is not sent again.
    pub fn update_refused(&mut self, sent: Arc<Pod>) {
        self.sent = Some(sent);
    }

    /// UpdatePod said NOT_FOUND: the next pass confirms with GetPod.
    pub fn update_not_found(&mut self) {
        self.maybe_gone = true;
    }

    /// A listing of instance `generation` started at `listing_started` did
    /// not show the pod. It may be gone (then confirm with GetPod) if that
    /// instance held it before the listing started, it is not lost already,
    /// and it had not finished (a plugin may drop a finished pod). Returns
    /// whether it may be gone.
    pub fn missing_from_listing(
        &mut self,
        generation: Generation,
        listing_started: Instant,
    ) -> bool {
        let missing = !self.lost
            && self.finished().is_none()
            && self.held_by == Some(generation)
            && self.held_since.is_some_and(|at| at < listing_started);
        if missing {
            self.maybe_gone = true;
        }
        missing
    }

    /// The plugin no longer holds the pod, which had finished there:
    /// nothing is lost.
    pub fn dropped_after_finishing(&mut self) {
        self.held_by = None;
    }

    /// The plugin held the pod and does not any more. Returns whether this
    /// is news (the first time).
    pub fn lost(&mut self) -> bool {
        let first = !self.lost;
        self.lost = true;
        self.held_by = None;
        first
    }

    /// DeletePod was sent to instance `generation`; `at` counts as the
    /// first time unless one was sent before.
    pub fn deleting(&mut self, generation: Generation, at: Instant) {
        self.delete_sent_to = Some(generation);
        self.delete_sent_at.get_or_insert(at);
        self.delete_failures = 0;
        self.delete_retry_at = None;
    }

    /// The host's DELETE of the API object (grace 0, UID precondition) was
    /// accepted.
    pub fn removed_from_api(&mut self) {
        self.removed_from_api = true;
    }

    /// DeletePod failed at `now`: it is asked again only after a back-off
    /// that doubles per failure in a row (see
    /// [`delete_retry_delay`]), whatever queues the pod meanwhile. Returns
    /// the back-off.
    pub fn delete_failed(&mut self, now: Instant) -> Duration {
        self.delete_failures = self.delete_failures.saturating_add(1);
        let wait = delete_retry_delay(self.delete_failures);
        self.delete_retry_at = Some(now + wait);
        wait
    }

    /// A status of the plugin's taken at `taken` arrived: recorded unless a
    /// newer one is recorded already or the recorded one is terminal (a pod
    /// that finished never runs again; a late reply must not revive it).
    /// Returns whether it was recorded.
    pub fn record_status(&mut self, status: PodStatus, taken: Instant) -> bool {
        if !accept_status(self.status.as_ref(), self.status_at, &status, taken) {
            return false;
        }
        self.status = Some(status);
        self.status_at = Some(taken);
        true
    }

    /// A listing taken at `taken` showed `status`: recorded as by
    /// [`Self::record_status`] when it differs from the recorded one (a
    /// pushed status newer than the listing wins). Returns whether it was
    /// recorded.
    pub fn record_listed_status(&mut self, status: Option<&PodStatus>, taken: Instant) -> bool {
        match status {
            Some(status) if self.status.as_ref() != Some(status) => {
                self.record_status(status.clone(), taken)
            }
            _ => false,
        }
    }

    /// `patch` was written to the API for the pod at resourceVersion
    /// `version`.
    pub fn status_written(&mut self, patch: Value, version: Option<String>) {
        self.written = Some((patch, version));
    }

    /// The API refused `patch` as invalid: it is not sent again.
    pub fn status_refused(&mut self, patch: Value) {
        self.refused = Some(patch);
    }

    /// A plugin call failed with `text` at `now`. Returns whether to report
    /// it in an Event: not if the same text was reported within the last
    /// minute (retries do not flood the API with events).
    pub fn failed(&mut self, text: &str, now: Instant) -> bool {
        let repeat = self.reported_failure.as_ref().is_some_and(|(last, at)| {
            last == text && now.duration_since(*at) < FAILURE_REPORT_INTERVAL
        });
        if !repeat {
            self.reported_failure = Some((text.to_owned(), now));
        }
        !repeat
    }
}

/// Questions the workers ask.
impl Tracked {
    /// The pod as last seen (see [`Self::seen`]).
    pub fn last_seen(&self) -> Option<&Pod> {
        self.last_seen.as_deref()
    }

    /// The pod the plugin was last sent (or runs, when found there).
    pub fn sent(&self) -> Option<&Arc<Pod>> {
        self.sent.as_ref()
    }

    /// Whether the plugin got the pod with `status.podIP(s)` unresolved.
    pub fn awaits_pod_ip(&self) -> bool {
        self.awaits_pod_ip
    }

    /// Whether to ask instance `generation` with GetPod whether it holds
    /// the pod: it is not known to, or may have dropped it.
    pub fn needs_get_pod(&self, generation: Generation) -> bool {
        self.held_by != Some(generation) || self.maybe_gone
    }

    /// Whether some plugin instance had the pod once.
    pub fn was_in_plugin(&self) -> bool {
        self.was_in_plugin
    }

    /// Whether the plugin lost the pod (see [`Self::lost`]).
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// The plugin's last recorded status.
    pub fn status(&self) -> Option<&PodStatus> {
        self.status.as_ref()
    }

    /// The plugin's last recorded status, if it is terminal.
    pub fn finished(&self) -> Option<&PodStatus> {
        self.status.as_ref().filter(|s| is_terminal(Some(s)))
    }

    /// Whether instance `generation` was asked to delete the pod.
    pub fn delete_sent_to(&self, generation: Generation) -> bool {
        self.delete_sent_to == Some(generation)
    }

    /// Whether the host removed the API object already (see
    /// [`Self::removed_from_api`]).
    pub fn is_removed_from_api(&self) -> bool {
        self.removed_from_api
    }

    /// Whether nothing is left to ask of instance `generation` once the API
    /// object is gone: it accepted DeletePod (or did not hold the pod), and
    /// the host itself removed the object after that, so another DeletePod
    /// would tell it nothing new.
    pub fn stopped_and_removed(&self, generation: Generation) -> bool {
        self.removed_from_api && self.delete_sent_to(generation)
    }

    /// When DeletePod was first sent.
    pub fn delete_sent_at(&self) -> Option<Instant> {
        self.delete_sent_at
    }

    /// How long DeletePod must still wait at `now` after failing (see
    /// [`Self::delete_failed`]); `None`: ask now.
    pub fn delete_wait(&self, now: Instant) -> Option<Duration> {
        self.delete_retry_at
            .map(|at| at.saturating_duration_since(now))
            .filter(|wait| !wait.is_zero())
    }

    /// Whether `patch`, computed against the pod at resourceVersion
    /// `version`, is to be written: not if it was written already and the
    /// cache has not seen the result yet, nor if the API refused it before
    /// (then the next status is waited for).
    pub fn should_write(&self, patch: &Value, version: Option<&str>) -> bool {
        let repeat = self
            .written
            .as_ref()
            .is_some_and(|(written, at)| written == patch && at.as_deref() == version);
        let refused = self.refused.as_ref() == Some(patch);
        !repeat && !refused
    }
}

/// Whether a status taken at `taken` replaces `recorded` (taken at
/// `recorded_at`): only if it is newer, and never a terminal phase by one
/// that is not.
pub fn accept_status(
    recorded: Option<&PodStatus>,
    recorded_at: Option<Instant>,
    status: &PodStatus,
    taken: Instant,
) -> bool {
    let newer = recorded_at.is_none_or(|at| at < taken);
    let revives = is_terminal(recorded) && !is_terminal(Some(status));
    newer && !revives
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(phase: &str) -> PodStatus {
        PodStatus {
            phase: Some(phase.into()),
            ..PodStatus::default()
        }
    }

    fn pod(image: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"containers": [{"name": "main", "image": image}]},
            "status": {"phase": "Running"},
        }))
        .expect("a pod")
    }

    /// Something that happens to a pod, for the tables below.
    #[derive(Debug, Clone, Copy)]
    enum Event {
        Created(Generation),
        Found(Generation),
        UpdateNotFound,
        MissingFromListing(Generation),
        DroppedAfterFinishing,
        Lost,
        Finished,
    }

    fn after(events: &[Event]) -> Tracked {
        let t0 = Instant::now();
        let mut tracked = Tracked::default();
        for (i, event) in events.iter().enumerate() {
            let now = t0 + Duration::from_secs(i as u64);
            match *event {
                Event::Created(g) => tracked.created(g, Arc::new(pod("a")), false, now),
                Event::Found(g) => tracked.found_in_plugin(g, &pod("a"), now),
                Event::UpdateNotFound => tracked.update_not_found(),
                Event::MissingFromListing(g) => {
                    tracked.missing_from_listing(g, now + Duration::from_millis(1));
                }
                Event::DroppedAfterFinishing => tracked.dropped_after_finishing(),
                Event::Lost => {
                    tracked.lost();
                }
                Event::Finished => {
                    tracked.record_status(status("Succeeded"), now);
                }
            }
        }
        tracked
    }

    #[test]
    fn where_the_pod_stands_in_the_plugin() {
        use Event::*;
        // Events; then: GetPod needed for instance 1, for 2; was in the
        // plugin; lost.
        let cases: &[(&[Event], bool, bool, bool, bool)] = &[
            (&[], true, true, false, false),
            (&[Created(1)], false, true, true, false),
            (&[Found(2)], true, false, true, false),
            (&[Created(1), Found(2)], true, false, true, false),
            (&[Created(1), UpdateNotFound], true, true, true, false),
            (
                &[Created(1), UpdateNotFound, Found(1)],
                false,
                true,
                true,
                false,
            ),
            (
                &[Created(1), MissingFromListing(1)],
                true,
                true,
                true,
                false,
            ),
            (
                &[Created(1), MissingFromListing(2)],
                false,
                true,
                true,
                false,
            ),
            (
                &[Created(1), DroppedAfterFinishing],
                true,
                true,
                true,
                false,
            ),
            (
                &[Created(1), Finished, MissingFromListing(1)],
                false,
                true,
                true,
                false,
            ),
            (&[Created(1), Lost], true, true, true, true),
            (&[Created(1), Lost, Found(1)], false, true, true, true),
        ];
        for (events, get_1, get_2, was_in_plugin, lost) in cases {
            let tracked = after(events);
            assert_eq!(tracked.needs_get_pod(1), *get_1, "{events:?}: GetPod for 1");
            assert_eq!(tracked.needs_get_pod(2), *get_2, "{events:?}: GetPod for 2");
            assert_eq!(tracked.was_in_plugin(), *was_in_plugin, "{events:?}");
            assert_eq!(tracked.is_lost(), *lost, "{events:?}");
        }
    }

    #[test]
    fn missing_from_a_listing_only_if_held_before_it_started() {
        let t0 = Instant::now();
        let listing_started = t0 + Duration::from_secs(1);
        // Held by instance 1 from (seconds after t0), lost, finished; the
        // listing's instance; may be gone.
        let cases = [
            (0, false, false, 1, true),
            (1, false, false, 1, false),
            (2, false, false, 1, false),
            (0, false, false, 2, false),
            (0, true, false, 1, false),
            (0, false, true, 1, false),
        ];
        for (since, lost, finished, generation, expected) in cases {
            let mut tracked = Tracked::default();
            let held_since = t0 + Duration::from_secs(since);
            tracked.created(1, Arc::new(pod("a")), false, held_since);
            if lost {
                tracked.lost();
            }
            if finished {
                tracked.record_status(status("Succeeded"), t0);
            }
            let case = format!(
                "held since {since}, lost {lost}, finished {finished}, listed by {generation}"
            );
            assert_eq!(
                tracked.missing_from_listing(generation, listing_started),
                expected,
                "{case}"
            );
            assert_eq!(tracked.needs_get_pod(1), expected || lost, "{case}");
        }
    }

    #[test]
    fn a_new_instance_copy_is_the_base_for_updates() {
        let now = Instant::now();
        let mut tracked = Tracked::default();
        tracked.created(1, Arc::new(pod("sent")), true, now);
        // The same instance: what was sent stays the base.
        tracked.found_in_plugin(1, &pod("plugin"), now + Duration::from_secs(1));
        assert_eq!(tracked.sent(), Some(&Arc::new(pod("sent"))));
        assert_eq!(tracked.held_since, Some(now));
        // A new instance: its copy, without its status.
        let later = now + Duration::from_secs(2);
        tracked.found_in_plugin(2, &pod("plugin"), later);
        let mut copy = pod("plugin");
        copy.status = None;
        assert_eq!(tracked.sent(), Some(&Arc::new(copy)));
        assert_eq!(tracked.held_since, Some(later));
        assert!(tracked.awaits_pod_ip(), "kept until the next update");
        tracked.updated(Arc::new(pod("b")), false);
        assert!(!tracked.awaits_pod_ip());
        tracked.update_refused(Arc::new(pod("c")));
        assert_eq!(tracked.sent(), Some(&Arc::new(pod("c"))));
    }

    #[test]
    fn lost_is_news_once() {
        let mut tracked = after(&[Event::Created(1)]);
        assert!(tracked.lost());
        assert!(!tracked.lost());
        assert!(tracked.needs_get_pod(1));
    }

    #[test]
    fn the_first_delete_starts_the_grace_period() {
        let t0 = Instant::now();
        let mut tracked = Tracked::default();
        assert!(!tracked.delete_sent_to(1));
        tracked.deleting(1, t0);
        tracked.deleting(2, t0 + Duration::from_secs(5));
        assert!(tracked.delete_sent_to(2));
        assert!(!tracked.delete_sent_to(1));
        assert_eq!(tracked.delete_sent_at(), Some(t0));
    }

    #[test]
    fn a_removed_pod_is_not_stopped_again_by_the_same_instance() {
        let t0 = Instant::now();
        // Removed without DeletePod (it never ran): the plugin is still asked.
        let mut tracked = after(&[Event::Created(1)]);
        tracked.removed_from_api();
        assert!(tracked.is_removed_from_api());
        assert!(!tracked.stopped_and_removed(1));
        // DeletePod accepted, then removed: nothing left for instance 1...
        tracked.deleting(1, t0);
        assert!(tracked.stopped_and_removed(1));
        // ...but a restarted plugin (instance 2) is asked again.
        assert!(!tracked.stopped_and_removed(2));
        // DeletePod accepted but the object not removed by the host (a
        // force delete): asked again when it is gone.
        let mut forced = after(&[Event::Created(1)]);
        forced.deleting(1, t0);
        assert!(!forced.is_removed_from_api());
        assert!(!forced.stopped_and_removed(1));
    }

    #[test]
    fn a_failing_delete_is_asked_again_after_a_growing_bounded_back_off() {
        let t0 = Instant::now();
        let mut tracked = Tracked::default();
        assert_eq!(tracked.delete_wait(t0), None, "never failed: ask now");
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..12 {
            let wait = tracked.delete_failed(now);
            // Whatever queues the pod meanwhile (a resync) waits too.
            assert_eq!(tracked.delete_wait(now + wait / 2), Some(wait - wait / 2));
            now += wait;
            assert_eq!(tracked.delete_wait(now), None, "due after {wait:?}");
            waits.push(wait.as_secs());
        }
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300]);
        // Accepted at last: the next failure starts from the beginning.
        tracked.deleting(1, now);
        assert_eq!(tracked.delete_wait(now), None);
        assert_eq!(tracked.delete_failed(now), Duration::from_secs(2));
    }

    #[test]
    fn failures_are_reported_once_a_minute_per_text() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        // Reported before (text, seconds ago); now; reported again.
        let cases = [
            (None, "a", true),
            (Some(("a", 10)), "a", false),
            (Some(("a", 59)), "a", false),
            (Some(("a", 60)), "a", true),
            (Some(("a", 10)), "b", true),
        ];
        for (before, text, expected) in cases {
            let now = t0 + 100 * second;
            let mut tracked = Tracked::default();
            if let Some((last, ago)) = before {
                assert!(tracked.failed(last, now - ago * second));
            }
            assert_eq!(tracked.failed(text, now), expected, "{before:?} {text}");
        }
        // A create that succeeds clears it.
        let mut tracked = Tracked::default();
        assert!(tracked.failed("a", t0));
        tracked.created(1, Arc::new(pod("a")), false, t0);
        assert!(tracked.failed("a", t0 + second));
    }

    #[test]
    fn status_writes_are_not_repeated() {
        let patch = |phase: &str| serde_json::json!({"phase": phase});
        let mut tracked = Tracked::default();
        assert!(tracked.should_write(&patch("Running"), Some("1")));
        tracked.status_written(patch("Running"), Some("1".to_owned()));
        // Patch written, version, to write.
        let cases = [
            ("Running", "1", false),
            ("Running", "2", true),
            ("Failed", "1", true),
        ];
        for (phase, at, expected) in cases {
            assert_eq!(
                tracked.should_write(&patch(phase), Some(at)),
                expected,
                "{phase} at {at}"
            );
        }
        tracked.status_refused(patch("Failed"));
        assert!(!tracked.should_write(&patch("Failed"), Some("3")));
        assert!(tracked.should_write(&patch("Succeeded"), Some("3")));
    }

    #[test]
    fn only_newer_statuses_are_recorded() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let mut tracked = Tracked::default();
        assert!(tracked.record_status(status("Pending"), t1));
        // A reply to a call made before the push arrived is older.
        assert!(!tracked.record_status(status("Running"), t0));
        assert_eq!(tracked.status, Some(status("Pending")));
        assert!(tracked.record_status(status("Running"), t1 + Duration::from_millis(1)));
    }

    #[test]
    fn a_listing_records_only_a_different_status() {
        let t0 = Instant::now();
        let mut tracked = Tracked::default();
        assert!(!tracked.record_listed_status(None, t0));
        assert!(tracked.record_listed_status(Some(&status("Running")), t0));
        let later = t0 + Duration::from_secs(1);
        assert!(!tracked.record_listed_status(Some(&status("Running")), later));
        assert_eq!(
            tracked.status_at,
            Some(t0),
            "the same status keeps its time"
        );
        assert!(tracked.record_listed_status(Some(&status("Failed")), later));
    }

    #[test]
    fn terminal_statuses_are_sticky() {
        let t0 = Instant::now();
        let mut tracked = Tracked::default();
        assert!(tracked.record_status(status("Succeeded"), t0));
        assert!(tracked.finished().is_some());
        assert!(!tracked.record_status(status("Running"), t0 + Duration::from_secs(1)));
        // A terminal status may still be refined (exit codes, messages).
        assert!(tracked.record_status(status("Failed"), t0 + Duration::from_secs(2)));
        assert_eq!(tracked.finished(), Some(&status("Failed")));
        assert!(accept_status(None, None, &status("Running"), t0));
    }
}
