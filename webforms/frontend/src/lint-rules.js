// wuye's own bpmnlint rule pack ("wuye/..."): what the deploy refuses, caught while drawing.
// The server's deploy-time validation stays the authority; these say it next to the element first.
// Known groups, calendar functions and penalty rows come from the server (setLintContext).

const context = { groups: new Set(), functions: new Set(), penalties: new Set() };

export function setLintContext({ groups = [], functions = [], penalties = [] }) {
  context.groups = new Set(groups);
  context.functions = new Set(functions);
  context.penalties = new Set(penalties);
}

const is = (node, type) => node && node.$instanceOf && node.$instanceOf(type);

function extensionValues(node, type) {
  const ext = node.extensionElements;
  return ext && ext.values ? ext.values.filter((v) => is(v, type)) : [];
}

function properties(node) {
  const out = {};
  for (const props of extensionValues(node, 'camunda:Properties')) {
    for (const p of props.values || []) {
      if (p.name) out[p.name] = p.value;
    }
  }
  return out;
}

function lanesOf(process) {
  const lanes = new Map();
  const walk = (laneSet) => {
    for (const lane of (laneSet && laneSet.lanes) || []) {
      for (const ref of lane.flowNodeRef || []) lanes.set(ref.id, lane.id);
      walk(lane.childLaneSet);
    }
  };
  for (const ls of process.laneSets || []) walk(ls);
  return lanes;
}

function processOf(node) {
  let p = node;
  while (p && !is(p, 'bpmn:Process')) p = p.$parent;
  return p;
}

function rule(check) {
  return function () { return { check }; };
}

function groupsOf(node) {
  const process = processOf(node);
  const lane = process ? lanesOf(process).get(node.id) : undefined;
  const groups = (node.candidateGroups || '').split(',').map((g) => g.trim()).filter(Boolean);
  return { lane, groups };
}

// a user task with no lane, no candidate groups and no assignee deploys (the server warns, as
// engine/deploy/people.py person_task_has_someone does): it waits in the 待分派 queue for a supervisor
export const userTaskSomeone = rule((node, reporter) => {
  if (!is(node, 'bpmn:UserTask')) return;
  const { lane, groups } = groupsOf(node);
  if (!lane && !groups.length && !node.assignee) {
    reporter.report(node.id, '用户任务不在任何泳道中，将进入“待分派”队列，由主管分派：请放进泳道，或填写候选组/处理人');
  }
});

// every group a user task names (its lane, its candidate groups) exists (the server refuses the
// deploy otherwise: people.lane_is_a_known_group, people.candidate_groups_are_known)
export const userTaskGroup = rule((node, reporter) => {
  if (!is(node, 'bpmn:UserTask')) return;
  const { lane, groups } = groupsOf(node);
  for (const g of [lane, ...groups].filter(Boolean)) {
    if (context.groups.size && !context.groups.has(g)) {
      reporter.report(node.id, `没有这个用户组：${g}`);
    }
  }
});

const CALL = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
const ISO = /^'?"?(R\d*\/)?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?'?"?$/;

// every timer parses: balanced brackets, only calendar functions, or an ISO 8601 duration
export const timerParses = rule((node, reporter) => {
  if (!is(node, 'bpmn:TimerEventDefinition')) return;
  const owner = node.$parent;
  const expr = node.timeDate || node.timeDuration || node.timeCycle;
  const text = expr && expr.body ? expr.body.trim() : '';
  if (!text) {
    reporter.report(owner.id, '定时器没有表达式');
    return;
  }
  if (ISO.test(text)) return;
  let depth = 0;
  for (const ch of text) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) {
    reporter.report(owner.id, `定时器表达式括号不配对：${text}`);
    return;
  }
  for (const [, name] of text.matchAll(CALL)) {
    if (context.functions.size && !context.functions.has(name)) {
      reporter.report(owner.id, `定时器用了不认识的函数 ${name}（可用：add_working_hours、add_working_days、end_of_day …）`);
    }
  }
});

// every deadline property names a row of the penalty table, unless the element states its own
// penalty amount (the server: engine/deploy/paths.py deadline_names_a_penalty_row)
export const deadlinePenalty = rule((node, reporter) => {
  if (!is(node, 'bpmn:FlowNode')) return;
  const props = properties(node);
  const deadline = (props.deadline || '').trim();
  if (deadline && !(props.penalty || '').trim() && context.penalties.size && !context.penalties.has(deadline)) {
    reporter.report(node.id, `时限编号 ${deadline} 不在扣罚表中`);
  }
});

// no dangling flow: a flow has both ends, and a step that is reached also leads somewhere
export const noDanglingFlow = rule((node, reporter) => {
  if (is(node, 'bpmn:SequenceFlow')) {
    if (!node.sourceRef || !node.targetRef) reporter.report(node.id, '连线没有连接两端');
    return;
  }
  if (!is(node, 'bpmn:FlowNode') || is(node, 'bpmn:EndEvent') || is(node, 'bpmn:BoundaryEvent')) return;
  if (is(node.$parent, 'bpmn:AdHocSubProcess')) return;
  const incoming = node.incoming || [];
  const outgoing = node.outgoing || [];
  if (incoming.length && !outgoing.length && !is(node, 'bpmn:IntermediateThrowEvent')) {
    reporter.report(node.id, '流程在此中断：有进入的连线，没有出去的连线');
  }
});

// every path reaches an end: from each start event, each node it reaches can still reach an end event
export const reachesEnd = rule((node, reporter) => {
  if (!is(node, 'bpmn:Process') && !is(node, 'bpmn:SubProcess')) return;
  const nodes = (node.flowElements || []).filter((e) => is(e, 'bpmn:FlowNode'));
  const next = (n) => {
    const out = (n.outgoing || []).map((f) => f.targetRef).filter(Boolean);
    for (const b of nodes) if (is(b, 'bpmn:BoundaryEvent') && b.attachedToRef === n) out.push(b);
    return out;
  };
  const ends = new Set();
  let changed = true;
  for (const n of nodes) if (is(n, 'bpmn:EndEvent')) ends.add(n);
  while (changed) {
    changed = false;
    for (const n of nodes) {
      if (!ends.has(n) && next(n).some((m) => ends.has(m))) { ends.add(n); changed = true; }
    }
  }
  const starts = nodes.filter((n) => is(n, 'bpmn:StartEvent'));
  const seen = new Set(starts);
  const queue = [...starts];
  while (queue.length) {
    for (const m of next(queue.shift())) if (!seen.has(m)) { seen.add(m); queue.push(m); }
  }
  for (const n of seen) {
    if (!ends.has(n) && (n.outgoing || []).length) reporter.report(n.id, '从这里走不到任何结束事件');
  }
});

export const wuyeRules = {
  'user-task-group': userTaskGroup,
  'user-task-someone': userTaskSomeone,
  'timer-parses': timerParses,
  'deadline-penalty': deadlinePenalty,
  'no-dangling-flow': noDanglingFlow,
  'reaches-end': reachesEnd,
};
