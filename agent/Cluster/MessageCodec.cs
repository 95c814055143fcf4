namespace AppSwitch.Agent.Cluster;

/// <summary>
/// Binary encoding of <see cref="GossipMessage"/>s: a type byte, then the fields in order, big-endian. Decoding
/// checks every length; on any malformed input it throws <see cref="GossipDecodeException"/> only. For rolling
/// upgrades (see <see cref="ProtocolVersions"/>) bytes after the known fields are ignored (fields a newer peer
/// appended) and a type newer than <see cref="MessageTypes.Newest"/> decodes as <see cref="UnknownMessage"/>.
/// </summary>
internal static class MessageCodec
{
    /// <summary>Hard bound of one state blob on the wire, whatever the options say.</summary>
    public const int MaxStateBytes = 64 * 1024 * 1024;
    public const int MaxMembers = 100_000;
    public const int MaxCompoundParts = 255;

    public static byte[] Encode(GossipMessage message)
    {
        var writer = new WireWriter();
        Encode(message, writer);
        return writer.ToArray();
    }

    public static void Encode(GossipMessage message, WireWriter w)
    {
        w.U8((byte)message.Type);
        switch (message)
        {
            case Ping p: w.U64(p.Seq); w.Name(p.Target); w.Name(p.Source); break;
            case IndirectPing r:
                w.U64(r.Seq); w.Name(r.Target); w.EndPoint(r.TargetAddress); w.Name(r.Source);
                if (r.WantsNack) w.U8(1); // appended in protocol 2: a flags byte, bit 0 = send a nack
                break;
            case Ack a: w.U64(a.Seq); break;
            case Nack n: w.U64(n.Seq); break;
            case UnknownMessage u: w.Raw(u.Body); break;
            case Alive a: w.Name(a.Node); w.EndPoint(a.Address); w.U64(a.Incarnation); w.U64(a.StateVersion); break;
            case Suspect s: w.Name(s.Node); w.U64(s.Incarnation); w.Name(s.From); break;
            case Dead d: w.Name(d.Node); w.U64(d.Incarnation); w.Name(d.From); break;
            case StateNotice n:
                w.Name(n.Node); w.U64(n.Version);
                w.U8(n.State is null ? (byte)0 : (byte)1);
                if (n.State is not null) w.Blob(n.State);
                break;
            case Compound c:
                if (c.Parts.Count is 0 or > MaxCompoundParts) throw new ArgumentException("a compound holds 1 to 255 parts");
                w.U8((byte)c.Parts.Count);
                foreach (var part in c.Parts)
                {
                    if (part is Compound) throw new ArgumentException("compounds do not nest");
                    int at = w.ReserveU16();
                    Encode(part, w);
                    w.PatchU16(at, w.Length - at - 2);
                }
                break;
            case PushPull pp:
                w.U8((byte)pp.Phase); w.U8(pp.Join ? (byte)1 : (byte)0); w.Name(pp.Sender);
                w.U32((uint)pp.Members.Count);
                foreach (var m in pp.Members)
                {
                    w.Name(m.Name); w.EndPoint(m.Address); w.U64(m.Incarnation); w.U8((byte)m.Status);
                    w.U64(m.KnownVersion); w.U64(m.HeldVersion);
                }
                w.U32((uint)pp.States.Count);
                foreach (var s in pp.States) { w.Name(s.Name); w.U64(s.Version); w.Blob(s.State); }
                if (pp.Versions is { } versions)
                {
                    // Appended in protocol 2: the sender's range, then each digest member's (0.0.0 = unknown).
                    WriteRange(w, versions);
                    w.U32((uint)pp.Members.Count);
                    foreach (var m in pp.Members) WriteRange(w, m.Protocol ?? default);
                }
                break;
            case StateRequest r: w.Name(r.Node); w.U64(r.Version); break;
            case StateResponse r:
                w.Name(r.Node); w.U64(r.Version);
                w.U8(r.State is null ? (byte)0 : (byte)1);
                if (r.State is not null) w.Blob(r.State);
                break;
            case KeyringNotice k:
                if (k.Keys.Count is 0 or > KeyringState.MaxKeys) throw new ArgumentException("a keyring notice holds 1 to 16 keys");
                w.Name(k.Node); w.U64(k.Version); w.Name(k.Origin); w.U8(k.PrimaryIndex); w.U8((byte)k.Keys.Count);
                foreach (var key in k.Keys) w.Blob(key);
                break;
            default: throw new ArgumentException($"cannot encode {message.GetType().Name}");
        }
    }

    public static GossipMessage Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new WireReader(bytes);
        return Read(ref reader, allowCompound: true); // trailing bytes: fields appended by a newer peer
    }

    private static void WriteRange(WireWriter w, ProtocolRange range) { w.U8(range.Min); w.U8(range.Max); w.U8(range.Current); }

    private static ProtocolRange? ReadRange(ref WireReader r, bool optional)
    {
        var range = new ProtocolRange(r.U8(), r.U8(), r.U8());
        if (optional && range == default) return null;
        if (!range.IsValid) throw new GossipDecodeException($"bad protocol range {range}");
        return range;
    }

    private static GossipMessage Read(ref WireReader r, bool allowCompound)
    {
        var type = (MessageType)r.U8();
        if (type > MessageTypes.Newest) return new UnknownMessage((byte)type, r.Raw(r.Remaining).ToArray());
        switch (type)
        {
            case MessageType.Ping: return new Ping(r.U64(), r.Name(), r.Name());
            case MessageType.IndirectPing:
            {
                ulong seq = r.U64(); string target = r.Name(); var address = r.EndPoint(); string source = r.Name();
                bool wantsNack = r.Remaining > 0 && (r.U8() & 1) != 0;
                return new IndirectPing(seq, target, address, source, wantsNack);
            }
            case MessageType.Ack: return new Ack(r.U64());
            case MessageType.Nack: return new Nack(r.U64());
            case MessageType.Alive: return new Alive(r.Name(), r.EndPoint(), r.U64(), r.U64());
            case MessageType.Suspect: return new Suspect(r.Name(), r.U64(), r.Name());
            case MessageType.Dead: return new Dead(r.Name(), r.U64(), r.Name());
            case MessageType.StateNotice:
            {
                string node = r.Name(); ulong version = r.U64();
                byte[]? state = r.Flag() ? r.Blob(MaxStateBytes) : null;
                return new StateNotice(node, version, state);
            }
            case MessageType.Compound:
            {
                if (!allowCompound) throw new GossipDecodeException("nested compound");
                int count = r.U8();
                if (count == 0) throw new GossipDecodeException("empty compound");
                var parts = new List<GossipMessage>(count);
                for (int i = 0; i < count; i++)
                {
                    int length = r.U16();
                    var inner = new WireReader(r.Raw(length));
                    var part = Read(ref inner, allowCompound: false);
                    if (part.Type is MessageType.PushPull or MessageType.StateRequest or MessageType.StateResponse)
                        throw new GossipDecodeException($"{part.Type} cannot travel in a compound");
                    parts.Add(part);
                }
                return new Compound(parts);
            }
            case MessageType.PushPull:
            {
                var phase = (PushPullPhase)r.U8();
                if (phase is not (PushPullPhase.Request or PushPullPhase.Reply or PushPullPhase.Final))
                    throw new GossipDecodeException($"unknown push/pull phase {(byte)phase}");
                bool join = r.Flag();
                string sender = r.Name();
                int memberCount = r.Count(minElementSize: 2 + 7 + 8 + 1 + 16, MaxMembers);
                var members = new List<MemberDigest>(memberCount);
                for (int i = 0; i < memberCount; i++)
                {
                    string name = r.Name(); var address = r.EndPoint(); ulong incarnation = r.U64();
                    var status = (MemberStatus)r.U8();
                    if (status is not (MemberStatus.Alive or MemberStatus.Suspect or MemberStatus.Dead or MemberStatus.Left))
                        throw new GossipDecodeException($"unknown member status {(byte)status}");
                    members.Add(new MemberDigest(name, address, incarnation, status, r.U64(), r.U64()));
                }
                int stateCount = r.Count(minElementSize: 2 + 8 + 4, MaxMembers);
                var states = new List<StateBlob>(stateCount);
                for (int i = 0; i < stateCount; i++) states.Add(new StateBlob(r.Name(), r.U64(), r.Blob(MaxStateBytes)));
                if (r.Remaining == 0) return new PushPull(phase, join, sender, members, states); // a protocol-1 peer
                var versions = ReadRange(ref r, optional: false);
                if (r.Count(minElementSize: 3, MaxMembers) != memberCount) throw new GossipDecodeException("protocol ranges do not match the members");
                for (int i = 0; i < memberCount; i++) members[i] = members[i] with { Protocol = ReadRange(ref r, optional: true) };
                return new PushPull(phase, join, sender, members, states, versions);
            }
            case MessageType.StateRequest: return new StateRequest(r.Name(), r.U64());
            case MessageType.StateResponse:
            {
                string node = r.Name(); ulong version = r.U64();
                byte[]? state = r.Flag() ? r.Blob(MaxStateBytes) : null;
                return new StateResponse(node, version, state);
            }
            case MessageType.KeyringNotice:
            {
                string node = r.Name(); ulong version = r.U64(); string origin = r.Name(); byte primary = r.U8();
                int count = r.U8();
                if (count is 0 or > KeyringState.MaxKeys || primary >= count) throw new GossipDecodeException($"bad keyring notice ({count} keys, primary {primary})");
                var keys = new List<byte[]>(count);
                for (int i = 0; i < count; i++)
                {
                    var key = r.Blob(32);
                    if (!KeyringState.IsValidKeyLength(key.Length)) throw new GossipDecodeException($"keyring key of {key.Length} bytes");
                    keys.Add(key);
                }
                return new KeyringNotice(node, version, origin, primary, keys);
            }
            default: throw new GossipDecodeException($"unknown message type {(byte)type}");
        }
    }
}
