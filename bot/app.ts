import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Appservice, type Intent } from "matrix-bot-sdk";
import type { Logger } from "../common/log";
import type { Config, Secrets } from "../config/schema";
import { openDatabase } from "../state/db";
import { BOT_MIGRATIONS } from "../state/migrations";
import { buildServices, type Services } from "./services";
import { formatSshTarget } from "../ssh/target";
import { dispatchCommand, type RoomMessage } from "./dispatch";
import { beginAppservice, waitForHomeserver } from "./homeserver";
import type { MatrixPort } from "./port";
import { servePing } from "./ping";
import { wakeHomeserver } from "./wake-homeserver";
import { buildRegistration } from "./registration";
import { mentionContent, plain, reactionContent } from "./reply";
import { alertsAlias, encryptedRoomNotice, ensureAlertsRoom, isEncrypted } from "./rooms";
import { MessageRouter } from "./router";
import { runSafely } from "./safe";
import { routeSdkLogs } from "./sdk-log";
import { SqliteAppserviceStorage, SqliteKvStorage } from "./storage";
import { capAppserviceBodies } from "./body-limit";
import { audioAttachment } from "./voice/event";
import { VoiceHandler } from "./voice/handler";
import { voiceServiceFrom } from "./voice/service";
import { buildAgents } from "./agents";
import { AlertReactions, matrixAlertRoom } from "./alert-reactions";
import { EnrollServer } from "../enroll/server";
import { localAgent } from "../provisioning/wg/agent-install";
import { recoverySentence } from "./recovery";
import { startPanel } from "../panel/start";

export interface RunningBot {
  readonly botUserId: string;
  readonly alertsRoomId: string;
  stop(): Promise<void>;
}

interface MatrixEvent {
  event_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content?: Record<string, unknown>;
}

export interface StartOptions {
  /** Aborted (SIGTERM) while waiting for the homeserver: startBot rejects at once. */
  signal?: AbortSignal;
}

/**
 * Waits for the homeserver, then starts the appservice listener and takes up the control
 * room. Nothing listens before the homeserver answers, so a bot that is not running never
 * answers the homeserver's ping; any failure closes what was opened and rejects.
 */
export async function startBot(
  config: Readonly<Config>,
  secrets: Secrets,
  log: Logger,
  options: StartOptions = {},
): Promise<RunningBot> {
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  routeSdkLogs(log);
  await waitForHomeserver(config.homeserver.url, config.startup.homeserver_wait_s, log, options);
  const db = openDatabase(join(config.state_dir, "meshpilot.db"), BOT_MIGRATIONS);

  const appservice = new Appservice({
    homeserverName: config.homeserver.server_name,
    homeserverUrl: config.homeserver.url,
    bindAddress: config.appservice.bind_address,
    port: config.appservice.port,
    registration: buildRegistration(config, secrets),
    storage: new SqliteAppserviceStorage(db),
    intentOptions: { encryption: false },
  });
  // Before any request is parsed: the SDK's own JSON parser has no size limit.
  capAppserviceBodies(appservice);
  const bot = appservice.botIntent;
  const matrix = portFor(bot);
  const operators = new Set(config.operators);
  let alertsRoomId: string | undefined;
  const alertOperators = (text: string): void => {
    runSafely(log, "alert", async () => {
      if (!alertsRoomId) return;
      await matrix.send(alertsRoomId, mentionContent(config.operators, plain(text)));
    });
  };
  // Health incidents: pushed, edited and resolved in the control room.
  const alertRoom = matrixAlertRoom({ matrix, roomId: () => alertsRoomId, operators: config.operators });
  const services = buildServices(
    config,
    db,
    appservice,
    log,
    (error) => {
      log.warn(
        { target: formatSshTarget(error.target), expected: error.expected, seen: error.seen },
        "host key changed; refused",
      );
      alertOperators(`[ALERT] ${error.message}`);
    },
    alertOperators,
    alertRoom,
  );
  const alertReactions = new AlertReactions({
    operators,
    incidents: services.incidents,
    repair: (name) => services.repairDevice(name),
    room: alertRoom,
    silenceMs: config.health.silence_s * 1000,
    log: log.child({ component: "health" }),
  });
  const { table } = services;
  const agents = buildAgents(config, secrets, db, appservice, services, log);
  services.bindAgents(agents);
  const router = new MessageRouter({
    operators,
    botRooms: () => bot.getJoinedRooms(),
    deviceForRoom: (roomId) => services.devices.byRoom(roomId),
    dispatchCommand: (message) => dispatchCommand({ table, operators, matrix, log }, message),
    agentTurn: (device, message) => agents.handle(device, message),
    log,
  });
  // Voice messages become text before the router; in a device room the agent user answers.
  const voice = new VoiceHandler({
    service: voiceServiceFrom(config, secrets),
    router,
    commandNames: () => table.commands.map((command) => command.name),
    speakerFor: (destination) =>
      destination.kind === "agent" && destination.device.agent_user_id
        ? portFor(appservice.getIntentForUserId(destination.device.agent_user_id))
        : matrix,
    log: log.child({ component: "voice" }),
  });
  const warnedEncrypted = new Set<string>();

  const leaveEncryptedRoom = async (roomId: string): Promise<void> => {
    if (warnedEncrypted.has(roomId)) return;
    warnedEncrypted.add(roomId);
    await bot.underlyingClient.sendMessage(roomId, encryptedRoomNotice(alertsAlias(config)));
    await bot.leaveRoom(roomId);
    log.info({ roomId }, "left an encrypted room");
  };

  appservice.on("room.message", (roomId: string, event: MatrixEvent) => {
    runSafely(log, "room.message", async () => {
      if (event.sender === bot.userId || appservice.isNamespacedUser(event.sender)) return;
      const attachment = audioAttachment(event.content ?? {});
      if (attachment)
        return voice.handle({ roomId, eventId: event.event_id, sender: event.sender, attachment });
      const message = toRoomMessage(roomId, event);
      if (message) await router.route(message);
    });
  });

  appservice.on("room.invite", (roomId: string, event: MatrixEvent) => {
    runSafely(log, "room.invite", async () => {
      if (event.state_key !== bot.userId) return;
      if (!operators.has(event.sender)) {
        log.debug({ roomId, sender: event.sender }, "declined an invite from someone who is not an operator");
        await bot.underlyingClient.leaveRoom(roomId);
        return;
      }
      await bot.joinRoom(roomId);
      if (await isEncrypted(bot.underlyingClient, roomId)) await leaveEncryptedRoom(roomId);
    });
  });

  // Reactions in device rooms may answer an agent's approval request (operators only).
  appservice.on("room.event", (roomId: string, event: MatrixEvent) => {
    if (event.type !== "m.reaction") return;
    const relation = event.content?.["m.relates_to"] as { event_id?: unknown; key?: unknown } | undefined;
    if (typeof relation?.event_id !== "string" || typeof relation.key !== "string") return;
    agents.onReaction(roomId, event.sender, relation.event_id, relation.key);
    // …or a peer waiting for an operator's 👍 (enroll.approve_first).
    services.peerApprovals.onReaction(roomId, event.sender, relation.event_id, relation.key);
    // …and reactions on a health alert act on its incident (🔁 repair, 🔕 silence).
    const { event_id: target, key } = relation;
    runSafely(log, "alert reaction", async () => {
      await alertReactions.onReaction(roomId, event.sender, target, key);
    });
  });

  appservice.on("room.event", (roomId: string, event: MatrixEvent) => {
    runSafely(log, "room.event", async () => {
      const encryptedNow = event.type === "m.room.encryption";
      const operatorWroteEncrypted = event.type === "m.room.encrypted" && operators.has(event.sender);
      if (!encryptedNow && !operatorWroteEncrypted) return;
      if (!(await bot.getJoinedRooms()).includes(roomId)) return;
      await leaveEncryptedRoom(roomId);
    });
  });

  // The homeserver asks about unknown users and aliases in our namespaces; agent users and
  // device rooms are only ever made by the pipeline, never on demand. Unanswered, the
  // query would hang the homeserver's request (and our own alias lookups) until timeout.
  type Answer = (result: false) => Promise<void>;
  appservice.on("query.user", (_userId: string, answer: Answer) =>
    runSafely(log, "query.user", () => answer(false)),
  );
  appservice.on("query.room", (_alias: string, answer: Answer) =>
    runSafely(log, "query.room", () => answer(false)),
  );

  servePing(appservice, secrets.hsToken);
  try {
    // Listens, then registers the bot user (the SDK's begin()).
    await beginAppservice(appservice, config.appservice, bot.userId, log);
    log.info({ bind: config.appservice.bind_address, port: config.appservice.port }, "appservice listening");
    await wakeHomeserver({
      homeserverUrl: config.homeserver.url,
      appserviceId: config.appservice.id,
      asToken: secrets.asToken,
      log,
    });
    alertsRoomId = await ensureAlertsRoom({
      client: bot.underlyingClient,
      botUserId: bot.userId,
      state: new SqliteKvStorage(db, "meshpilot"),
      config,
      log,
    });
    await recoverInterruptedRuns(services, alertOperators, log);
    // After recovery: a link of a run that was rolled back must already be dead.
    const enroll = await startEnrollServer(config, services, log);
    await agents.declineLeftovers((name) => services.devices.get(name));
    const panel = await startPanel(
      config,
      {
        ...services,
        db,
        auth: services.panelAuth,
        sshAudit: (name) => services.sshDevices.audit(name),
        react: (roomId, sender, eventId, key) => agents.onReaction(roomId, sender, eventId, key),
      },
      log,
    );
    // Alerts need the control room, so the monitor starts only now.
    services.monitor.start();
    services.bundles?.start();
    log.info({ alertsRoomId, botUserId: bot.userId }, "meshpilot is running");
    return {
      botUserId: bot.userId,
      alertsRoomId,
      stop: async () => {
        await enroll?.stop();
        await panel?.stop();
        await services.bundles?.stop();
        await services.monitor.stop();
        appservice.stop();
        services.close();
        db.close();
      },
    };
  } catch (error) {
    appservice.stop();
    services.close();
    db.close();
    throw error;
  }
}

/** The pull enrollment listener, when enroll: and mesh: are configured. */
async function startEnrollServer(
  config: Readonly<Config>,
  services: Services,
  log: Logger,
): Promise<EnrollServer | undefined> {
  const { enroll, mesh } = config;
  if (!enroll || !mesh) return undefined;
  const server = new EnrollServer({
    settings: enroll,
    enrollments: services.enrollments,
    rendezvous: services.rendezvous,
    localAgent: (build) => localAgent(mesh.agent_dir, build),
    ifname: mesh.interface,
    log: log.child({ component: "enroll" }),
  });
  const port = await server.start();
  log.info({ bind: enroll.bind_address, port, public_url: enroll.public_url }, "enrollment listener up");
  return server;
}

/** A run a crash interrupted is finished from its journal before anything new starts. */
async function recoverInterruptedRuns(
  services: Services,
  tell: (text: string) => void,
  log: Logger,
): Promise<void> {
  const recovered = await services.engine.recover((name, data) => services.pipelineFor(name, data));
  for (const run of recovered) {
    log.warn({ run }, "finished an interrupted provisioning run");
    tell(recoverySentence(run));
  }
}

function portFor(intent: Intent): MatrixPort {
  return {
    userId: intent.userId,
    send: (roomId, content) => intent.underlyingClient.sendMessage(roomId, content),
    react: async (roomId, eventId, key) => {
      await intent.underlyingClient.sendEvent(roomId, "m.reaction", reactionContent(eventId, key));
    },
  };
}

function toRoomMessage(roomId: string, event: MatrixEvent): RoomMessage | undefined {
  const content = event.content ?? {};
  if (typeof content.body !== "string" || typeof content.msgtype !== "string") return undefined;
  if (content["m.relates_to"] && (content["m.relates_to"] as { rel_type?: string }).rel_type === "m.replace")
    return undefined;
  return {
    roomId,
    eventId: event.event_id,
    sender: event.sender,
    msgtype: content.msgtype,
    body: content.body,
  };
}
