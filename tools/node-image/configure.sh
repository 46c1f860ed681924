#!/bin/sh
# Runs inside the image build (stage 2 of build-image.sh): everything a Minicore machine needs that
# debootstrap does not give.
set -eu
/usr/local/bin/node --version >/dev/null

# Vagrant's user, with the insecure key (vagrant swaps it for a per-machine key on first boot).
id vagrant >/dev/null 2>&1 || useradd -m -s /bin/bash vagrant
install -d -m 700 -o vagrant -g vagrant /home/vagrant/.ssh
install -m 600 -o vagrant -g vagrant /tmp/node-image/vagrant.pub /home/vagrant/.ssh/authorized_keys
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/vagrant
chmod 440 /etc/sudoers.d/vagrant

# Per-machine identity: debootstrap baked one machine-id and one set of ssh host keys into the tree;
# systemd makes a new machine-id on first boot, this unit makes new host keys.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id /etc/ssh/ssh_host_*
cat > /etc/systemd/system/ssh-hostkeys.service <<'UNIT'
[Unit]
Description=Generate per-machine SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
UNIT
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf /etc/systemd/system/ssh-hostkeys.service /etc/systemd/system/multi-user.target.wants/

# The machine's Docker engine (runnerd's): overlay2 on the /var/lib/docker volume; the systemd cgroup
# driver keeps inner containers inside the machine's cgroup.
mkdir -p /etc/docker
printf '{\n  "storage-driver": "overlay2",\n  "exec-opts": ["native.cgroupdriver=systemd"]\n}\n' > /etc/docker/daemon.json

# Units that fail or make no sense in a container.
systemctl mask systemd-resolved.service getty@tty1.service console-getty.service >/dev/null 2>&1 || true
