//! The volume refresh loop: every `volume_refresh_interval_ms` each held
//! pod's secret, configMap, projected and downwardAPI volumes are
//! re-fetched and swapped when changed (a pod busy syncing or stopping is
//! skipped until the next round). Through `subPath` a container keeps the
//! file it started with, as with the kubelet.

use std::sync::Arc;

use super::Inner;
use crate::paths;

impl Inner {
    pub(super) async fn volume_refresh_loop(self: Arc<Self>) {
        let interval = self.config.volume_refresh_interval();
        loop {
            tokio::time::sleep(interval).await;
            let held: Vec<(String, Arc<tokio::sync::Mutex<()>>, bool)> = self
                .pods()
                .iter()
                .map(|(uid, e)| (uid.clone(), e.lock.clone(), e.deleting))
                .collect();
            let uids: Vec<String> = held.iter().map(|(uid, _, _)| uid.clone()).collect();
            self.volumes.retain(&uids);
            for (uid, lock, deleting) in held {
                if deleting {
                    continue;
                }
                // The same lock as the sync: one writer per volume directory.
                let Ok(_guard) = lock.try_lock_owned() else {
                    continue;
                };
                let Some(pod) = self.pods().get(&uid).map(|e| e.pod.clone()) else {
                    continue;
                };
                let pod_dir = paths::pod_dir(&self.config.root_dir, &uid);
                self.volumes.refresh(&uid, &pod, &pod_dir).await;
            }
        }
    }
}
