//! `vk-cluster-holder`: starts a private control plane, prints its state
//! directory and process ids, then blocks forever. The teardown test kills it
//! with SIGKILL and checks that the control plane dies with it; kept as a
//! binary of this crate so that test needs no re-execution tricks.

use vk_tests::cluster::Cluster;

fn main() {
    let cluster = match Cluster::start() {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("vk-cluster-holder: {e}");
            std::process::exit(1);
        }
    };
    println!("STATE_DIR {}", cluster.state_dir().display());
    println!("PID supervisor {}", cluster.supervisor_pid());
    for (name, pid) in cluster.component_pids() {
        println!("PID {name} {pid}");
    }
    println!("HOLDING");
    loop {
        std::thread::park();
    }
}
