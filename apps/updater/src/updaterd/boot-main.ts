// The boot selector on its own (`updaterd boot` without the rest of updaterd). A release ships it
// bundled into one file, boot/updaterd-boot.mjs, which provisioning copies out of the slots once
// (like GRUB, which lives outside the USR partitions): an update never replaces what boots it.
import { runBootCommand } from './boot-command.js';

await runBootCommand(process.argv.slice(2));
