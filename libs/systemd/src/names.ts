/** systemd's bus name, manager object and the interfaces this client speaks (org.freedesktop.systemd1(5)). */
export const SYSTEMD_BUS_NAME = 'org.freedesktop.systemd1';
export const SYSTEMD_OBJECT_PATH = '/org/freedesktop/systemd1';
export const MANAGER_INTERFACE = 'org.freedesktop.systemd1.Manager';
export const UNIT_INTERFACE = 'org.freedesktop.systemd1.Unit';
export const SERVICE_INTERFACE = 'org.freedesktop.systemd1.Service';
export const PROPERTIES_INTERFACE = 'org.freedesktop.DBus.Properties';
/** Every unit object lives below this path. */
export const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';

/** The message bus itself, for AddMatch/RemoveMatch. */
export const DBUS_NAME = 'org.freedesktop.DBus';
export const DBUS_PATH = '/org/freedesktop/DBus';
