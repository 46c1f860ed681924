import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContainerEventParser, parseContainerEvent, type ContainerEvent } from './events.js';

const die = {
  status: 'die',
  id: 'abc123',
  from: 'minicore/busybox:latest',
  Type: 'container',
  Action: 'die',
  Actor: { ID: 'abc123', Attributes: { exitCode: '1', image: 'minicore/busybox:latest', name: 'web', 'io.minicore.runner': '1' } },
  scope: 'local',
  time: 1700000000,
  timeNano: 1700000000123456800,
};

describe('parseContainerEvent', () => {
  it('reads action, id, name, exit code and labels', () => {
    expect(parseContainerEvent(die)).toEqual({
      action: 'die',
      rawAction: 'die',
      id: 'abc123',
      name: 'web',
      image: 'minicore/busybox:latest',
      exitCode: 1,
      labels: { 'io.minicore.runner': '1' },
      timeNano: 1700000000123456800,
    });
  });

  it('ignores events that are not about containers and names unknown actions other', () => {
    expect(parseContainerEvent({ Type: 'network', Action: 'connect' })).toBeUndefined();
    expect(parseContainerEvent({ ...die, Action: 'exec_start: sh -c true' })?.action).toBe('other');
  });

  it('reads health changes out of the action text', () => {
    const event = parseContainerEvent({ ...die, status: 'health_status: healthy', Action: 'health_status: healthy' });
    expect(event).toMatchObject({ action: 'health_status', health: 'healthy', rawAction: 'health_status: healthy' });
    expect(parseContainerEvent({ ...die, Action: 'health_status: unhealthy' })?.health).toBe('unhealthy');
  });
});

describe('ContainerEventParser', () => {
  it('parses JSON lines cut anywhere and skips garbage', async () => {
    const text = `${JSON.stringify(die)}\nnot json\n${JSON.stringify({ ...die, Action: 'destroy', status: 'destroy' })}\n`;
    const pieces = [text.slice(0, 17), text.slice(17, 200), text.slice(200)];
    const events: ContainerEvent[] = [];
    for await (const event of Readable.from(pieces).pipe(new ContainerEventParser())) events.push(event as ContainerEvent);
    expect(events.map((event) => event.action)).toEqual(['die', 'destroy']);
  });
});
