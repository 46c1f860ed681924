import type { ConfChange, Entry } from '@minicore/raft';
import { StoreError, V2Store, type StoreCommand, type StoreEvent } from '@minicore/kv-store';
import type { StateMachine, Proposal } from './consensus.js';
import type { Member } from './membership.js';

/** Announces a member's client URLs to the cluster once it is up (as etcd's publish). */
export interface PublishCommand {
  op: 'publish';
  memberId: string;
  name: string;
  clientURLs: string[];
}

/** Changes a member's peer URLs (etcd's member update); not a Raft membership change. */
export interface UpdateMemberCommand {
  op: 'update-member';
  memberId: string;
  peerURLs: string[];
}

export type KvCommand = StoreCommand | PublishCommand | UpdateMemberCommand;

/** The outcome of applying one proposal, handed to the member that proposed it. */
export type ApplyResult = { ok: true; event: StoreEvent | StoreEvent[] | null; storeIndex: number } | { ok: false; error: StoreError };

interface Image {
  store: string;
  members: Member[];
  removed: string[];
}

/**
 * kvd's replicated state: the v2 key store plus the member list (who is in the cluster, where to
 * reach them). Both change only by applying committed entries, so every member agrees on them.
 */
export class KvStateMachine implements StateMachine {
  store = new V2Store();
  readonly members = new Map<string, Member>();
  readonly removed = new Set<string>();

  constructor(private readonly onMembersChanged: () => void = () => undefined) {}

  apply(entry: Entry, proposal: Proposal<unknown> = JSON.parse(entry.data) as Proposal<unknown>): ApplyResult {
    const { command } = proposal as Proposal<KvCommand>;
    if (command.op === 'publish' || command.op === 'update-member') {
      const member = this.members.get(command.memberId);
      if (member && command.op === 'publish') Object.assign(member, { name: command.name, clientURLs: command.clientURLs });
      if (member && command.op === 'update-member') member.peerURLs = command.peerURLs;
      if (member) this.onMembersChanged();
      return { ok: true, event: null, storeIndex: this.store.index };
    }
    try {
      const event = this.store.apply(command);
      return { ok: true, event, storeIndex: this.store.index };
    } catch (error) {
      if (error instanceof StoreError) return { ok: false, error };
      throw error;
    }
  }

  applyConfChange(change: ConfChange): void {
    if (change.type === 'addNode') {
      const member = change.context ? (JSON.parse(change.context) as Member) : { id: change.nodeId, name: '', peerURLs: [], clientURLs: [] };
      if (!this.members.has(change.nodeId)) this.members.set(change.nodeId, { ...member, id: change.nodeId });
    } else {
      this.members.delete(change.nodeId);
      this.removed.add(change.nodeId);
    }
    this.onMembersChanged();
  }

  snapshot(): string {
    const image: Image = { store: this.store.snapshot(), members: [...this.members.values()], removed: [...this.removed] };
    return JSON.stringify(image);
  }

  restore(data: string): void {
    const image = JSON.parse(data) as Image;
    this.store = V2Store.restore(image.store);
    this.members.clear();
    for (const member of image.members) this.members.set(member.id, member);
    this.removed.clear();
    for (const id of image.removed) this.removed.add(id);
    this.onMembersChanged();
  }
}
