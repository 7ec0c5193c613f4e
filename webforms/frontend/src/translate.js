// zh-CN for the modeler: bpmn-js-i18n's Chinese (translations/zn.js) plus the properties panel's
// group and field labels a process owner works with, in a 客服's words.
import zn from 'bpmn-js-i18n/translations/zn';

const panel = {
  'General': '常规', 'Name': '名称', 'ID': '编号', 'Documentation': '说明', 'Element documentation': '元素说明',
  'User assignment': '处理人', 'Assignee': '处理人', 'Candidate groups': '候选组', 'Candidate users': '候选用户',
  'Due date': '到期日', 'Follow up date': '跟进日', 'Priority': '优先级', 'Forms': '表单', 'Form fields': '表单字段',
  'Type': '类型', 'Label': '标签', 'Default value': '默认值', 'Values': '选项', 'Constraints': '校验规则',
  'Properties': '属性', 'Extension properties': '扩展属性', 'Value': '值', 'Config': '配置',
  'Timer': '定时器', 'Timer type': '定时器类型', 'Date': '日期', 'Duration': '时长', 'Cycle': '循环',
  'Condition': '条件', 'Condition type': '条件类型', 'Expression': '表达式', 'Script': '脚本',
  'Process': '流程', 'Executable': '可执行', 'Candidate starter groups': '可发起的组',
  'Candidate starter users': '可发起的用户', 'Inputs': '输入', 'Outputs': '输出',
  'Execution listeners': '执行监听器', 'Task listeners': '任务监听器',
  'Asynchronous continuations': '异步', 'Implementation': '实现', 'Message': '消息', 'Global message reference': '消息',
  'Form key': '表单键', 'Form type': '表单类型', 'Generated Task Forms': '生成的任务表单',
  'Start simulation': '开始模拟', 'Open minimap': '打开小地图', 'Close minimap': '关闭小地图', 'Business key': '业务键',
  'Token Simulation': '令牌模拟',
};

const dictionary = { ...zn, ...panel };

export function translate(template, replacements) {
  const text = dictionary[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}

export const TranslateModule = { translate: ['value', translate] };
