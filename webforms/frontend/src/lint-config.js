// The bpmnlint configuration the modeler lints with: bpmnlint's recommended rules plus wuye's pack,
// resolved statically (no bundler plugin needed: the rules are imported here).
import recommended from 'bpmnlint/config/recommended';
import { wuyeRules } from './lint-rules.js';


import adHocSubProcess from 'bpmnlint/rules/ad-hoc-sub-process';
import conditionalFlows from 'bpmnlint/rules/conditional-flows';
import endEventRequired from 'bpmnlint/rules/end-event-required';
import eventBasedGateway from 'bpmnlint/rules/event-based-gateway';
import eventSubProcessTypedStartEvent from 'bpmnlint/rules/event-sub-process-typed-start-event';
import fakeJoin from 'bpmnlint/rules/fake-join';
import global from 'bpmnlint/rules/global';
import labelRequired from 'bpmnlint/rules/label-required';
import linkEvent from 'bpmnlint/rules/link-event';
import noBpmndi from 'bpmnlint/rules/no-bpmndi';
import noComplexGateway from 'bpmnlint/rules/no-complex-gateway';
import noDisconnected from 'bpmnlint/rules/no-disconnected';
import noDuplicateSequenceFlows from 'bpmnlint/rules/no-duplicate-sequence-flows';
import noGatewayJoinFork from 'bpmnlint/rules/no-gateway-join-fork';
import noImplicitSplit from 'bpmnlint/rules/no-implicit-split';
import noImplicitEnd from 'bpmnlint/rules/no-implicit-end';
import noImplicitStart from 'bpmnlint/rules/no-implicit-start';
import noInclusiveGateway from 'bpmnlint/rules/no-inclusive-gateway';
import noOverlappingElements from 'bpmnlint/rules/no-overlapping-elements';
import singleBlankStartEvent from 'bpmnlint/rules/single-blank-start-event';
import singleEventDefinition from 'bpmnlint/rules/single-event-definition';
import startEventRequired from 'bpmnlint/rules/start-event-required';
import subProcessBlankStartEvent from 'bpmnlint/rules/sub-process-blank-start-event';
import superfluousGateway from 'bpmnlint/rules/superfluous-gateway';
import superfluousLabel from 'bpmnlint/rules/superfluous-label';
import superfluousTermination from 'bpmnlint/rules/superfluous-termination';

const bpmnlintRules = {
  'ad-hoc-sub-process': adHocSubProcess, 'conditional-flows': conditionalFlows,
  'end-event-required': endEventRequired, 'event-based-gateway': eventBasedGateway,
  'event-sub-process-typed-start-event': eventSubProcessTypedStartEvent, 'fake-join': fakeJoin, global,
  'label-required': labelRequired, 'link-event': linkEvent, 'no-bpmndi': noBpmndi,
  'no-complex-gateway': noComplexGateway, 'no-disconnected': noDisconnected,
  'no-duplicate-sequence-flows': noDuplicateSequenceFlows, 'no-gateway-join-fork': noGatewayJoinFork,
  'no-implicit-split': noImplicitSplit, 'no-implicit-end': noImplicitEnd, 'no-implicit-start': noImplicitStart,
  'no-inclusive-gateway': noInclusiveGateway, 'no-overlapping-elements': noOverlappingElements,
  'single-blank-start-event': singleBlankStartEvent, 'single-event-definition': singleEventDefinition,
  'start-event-required': startEventRequired, 'sub-process-blank-start-event': subProcessBlankStartEvent,
  'superfluous-gateway': superfluousGateway, 'superfluous-label': superfluousLabel,
  'superfluous-termination': superfluousTermination,
};

// bpmnlint's messages in a 客服's words (the rule's English where no translation is listed)
const ZH = {
  'Element is not connected': '元素没有连接任何连线',
  'Element is an implicit end': '元素没有出去的连线（应连到结束事件）',
  'Element is an implicit start': '元素没有进入的连线（应从开始事件连来）',
  'Element is missing bpmndi': '元素没有图形位置',
  'Element is missing label/name': '元素没有名称',
  'Element is missing name': '元素没有名称',
  'Element overlaps with other element': '元素与其他元素重叠',
  'Element is outside of parent boundary': '元素超出了所在的框',
  'Flow splits implicitly': '连线隐式分叉：请用网关分支',
  'Gateway forks and joins': '网关同时合并和分叉，建议拆成两个网关',
  'Gateway is superfluous. It only has one source and target.': '网关多余：只有一进一出',
  'Incoming flows do not join': '多条进入的连线没有用网关合并',
  'Sequence flow is missing condition': '连线缺少条件',
  'Sequence flow has superfluous label': '连线的名称多余',
  'Start event must be blank': '开始事件应为空白开始事件',
  'Duplicate outgoing sequence flows': '重复的出去连线',
  'Duplicate incoming sequence flows': '重复的进入连线',
  'SequenceFlow is a duplicate': '重复的连线',
  'Termination is superfluous.': '终止结束事件多余',
  'Event has multiple event definitions': '事件有多个事件定义',
  'Element name is not unique': '元素名称重复',
};

function inChinese(factory) {
  const wrapped = function (...args) {
    const rule = factory(...args);
    const check = rule.check;
    const say = (reporter) => ({ report: (id, message, path) => reporter.report(id, ZH[message] || message, path) });
    const translated = typeof check === 'function'
      ? (node, reporter) => check(node, say(reporter))
      : { enter: check.enter && ((node, reporter) => check.enter(node, say(reporter))),
          leave: check.leave && ((node, reporter) => check.leave(node, say(reporter))) };
    return { ...rule, check: translated };
  };
  return Object.assign(wrapped, factory);
}

const cache = {};
for (const [name, factory] of Object.entries(bpmnlintRules)) cache[`rule:bpmnlint/${name}`] = inChinese(factory);
for (const [name, factory] of Object.entries(wuyeRules)) cache[`rule:bpmnlint-plugin-wuye/${name}`] = factory;

// a fork-join gateway runs here (the deployed procedures use them): a hint, not a refusal
const rules = { ...recommended.rules, 'no-gateway-join-fork': 'warn', 'label-required': 'warn' };
// wuye's pack: each error is one the server's deploy refuses too (engine/deploy/), on the same element;
// a task nobody is named for deploys with a warning there, so it is a warning here
for (const name of Object.keys(wuyeRules)) rules[`wuye/${name}`] = name === 'user-task-someone' ? 'warn' : 'error';

export default {
  config: { rules },
  resolver: {
    resolveRule(pkg, ruleName) {
      const found = cache[`rule:${pkg}/${ruleName}`];
      if (!found) throw new Error(`unknown rule <${pkg}/${ruleName}>`);
      return found;
    },
    resolveConfig(pkg, configName) {
      throw new Error(`unknown config <${pkg}/${configName}>`);
    },
  },
};
